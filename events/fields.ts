import { z } from "zod";

/** The rules every field of an event's free text and names follows, shared by each resource's schema. */

export const NO_LINE_BREAKS = /^[^\r\n]*$/;
/*
 * Control characters would let free text forge extra email headers, a line of the plain-text email
 * (a carriage return, a form feed) or log lines. A name stays on one line; a text of several lines
 * keeps the two its author could have typed: newline and tab.
 */
export const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;
export const FREE_TEXT = /^[\P{Cc}\n\t]*$/u;
export const FREE_TEXT_RULE = "must not contain control characters other than newline and tab";

/** Zod's error option: "is required" when the field is absent, otherwise what it must be. */
export const mustBe = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : `must be ${what}`),
});

export const oneOf = (values: readonly string[]) => mustBe(`one of ${values.join(", ")}`);

/** A name of one line, of at most `maxLength` characters. */
export const nameSchema = (maxLength: number) =>
  z
    .string(mustBe("a string"))
    .trim()
    .min(1, "must not be empty")
    .max(maxLength, `must be at most ${maxLength} characters`)
    .regex(NO_CONTROL_CHARACTERS, "must not contain control characters, line breaks or tabs");

/** A whole number within bounds, each bound said in its own message. */
export const wholeNumberSchema = (min: number, max: number) =>
  z
    .number(mustBe("a number"))
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** One message per rule a value breaks, each naming the rule, on the field itself. */
export const ruleIssues = (
  value: string,
  rules: readonly { rule: string; broken: (value: string) => boolean }[],
  context: z.RefinementCtx,
): void => {
  for (const { rule, broken } of rules) {
    if (broken(value)) context.addIssue({ code: "custom", input: value, message: rule });
  }
};
