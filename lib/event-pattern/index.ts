import { type EventPatternMatcher, type EventPatternMismatches, matcherOf, mismatchesOf } from "./match.ts";
import { parsePattern } from "./parse.ts";
import type { EventPattern } from "./values.ts";

/**
 * The EventBridge content-filtering language, as the local bus and the approval policies use it:
 * validation that refuses what AWS refuses (with AWS's reasons, which come from its open-source
 * engine, aws/event-ruler) and a compiled matcher, which can also say why an event does not match.
 * `parse.ts` validates a pattern, `operators.ts` (with `numeric.ts`, `ip-address.ts` and
 * `wildcard.ts`) reads its match expressions, and `match.ts` decides events against it.
 */

export type { EventPatternMatcher, EventPatternMismatches } from "./match.ts";
export { InvalidEventPatternError } from "./refusal.ts";
export type { EventPattern } from "./values.ts";

/** Parses (when given JSON text) and validates a pattern; returns it as an object. */
export const validateEventPattern = (pattern: unknown): EventPattern => parsePattern(pattern).pattern;

/** Validates a pattern and compiles it into a matcher to run against many events. */
export const compileEventPattern = (pattern: unknown): EventPatternMatcher =>
  matcherOf(parsePattern(pattern).branches);

/** A compiled pattern that can also tell why an event does not match it. */
export interface ExplainingEventPattern {
  matches: EventPatternMatcher;
  mismatches: EventPatternMismatches;
}

/** Validates a pattern and compiles it into a matcher and an explanation of its mismatches. */
export const compileExplainingEventPattern = (pattern: unknown): ExplainingEventPattern => {
  const { branches } = parsePattern(pattern);
  return { matches: matcherOf(branches), mismatches: mismatchesOf(branches) };
};

// Rules keep the same pattern object for their lifetime, so each is compiled once.
const compiledPatterns = new WeakMap<EventPattern, EventPatternMatcher>();

/** Whether the event matches an already validated pattern (treated as immutable once seen). */
export const matchesEventPattern = (pattern: EventPattern, event: object): boolean => {
  let matcher = compiledPatterns.get(pattern);
  if (!matcher) {
    matcher = compileEventPattern(pattern);
    compiledPatterns.set(pattern, matcher);
  }
  return matcher(event);
};
