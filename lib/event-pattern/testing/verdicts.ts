import { InvalidEventPatternError, matchesEventPattern, validateEventPattern } from "../index.ts";

/** Whether the event matches the pattern, validated first as a rule's pattern is. */
export const matches = (pattern: unknown, event: Record<string, unknown>): boolean =>
  matchesEventPattern(validateEventPattern(pattern), event);

/** The reason AWS would give for refusing the pattern, or undefined when it is accepted. */
export const refusalOf = (pattern: unknown): string | undefined => {
  try {
    validateEventPattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.reason;
    throw error;
  }
};
