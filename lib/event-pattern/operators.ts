import { isInRange, parseCidr } from "./ip-address.ts";
import { comparable, parseNumeric } from "./numeric.ts";
import { refuse } from "./refusal.ts";
import { isObject, type Leaf, type ValueTest } from "./values.ts";
import { matchesWildcard, parseWildcard, type WildcardPattern } from "./wildcard.ts";

/**
 * The match expressions of a field's value list: prefix, suffix, equals-ignore-case, wildcard,
 * anything-but, numeric, exists and cidr, each refusing its operand as AWS does.
 */

/** What one match expression contributes to its field. */
export interface MatchExpression {
  test?: ValueTest;
  matchesAbsence?: true;
  wildcards?: WildcardPattern[];
}

/** One `{ "operator": operand }` object of a field's value list. */
export const parseMatchExpression = (expression: Record<string, unknown>): MatchExpression => {
  const [operator, ...extraKeys] = Object.keys(expression);
  if (operator === undefined) return refuse("Match expression name not found");
  const operand = expression[operator];
  // AWS reports a second key through the message of the operator it was parsing.
  const tooManyKeys =
    operator === "numeric" || operator === "anything-but"
      ? "Too many elements in numeric expression"
      : "Only one key allowed in match expression";
  const parsed = parseOperator(operator, operand);
  if (extraKeys.length > 0) refuse(tooManyKeys);
  return parsed;
};

const parseOperator = (operator: string, operand: unknown): MatchExpression => {
  switch (operator) {
    case "prefix":
      return { test: parseAffix("prefix", operand) };
    case "suffix":
      return { test: parseAffix("suffix", operand) };
    case "equals-ignore-case": {
      if (typeof operand !== "string") return refuse("equals-ignore-case match pattern must be a string");
      const expected = operand.toLowerCase();
      return { test: (value) => typeof value === "string" && value.toLowerCase() === expected };
    }
    case "wildcard": {
      if (typeof operand !== "string") return refuse("wildcard match pattern must be a string");
      const wildcard = parseWildcard(operand);
      return {
        test: (value) => typeof value === "string" && matchesWildcard(wildcard, value),
        wildcards: [{ identity: `wildcard:${operand}`, texts: [operand] }],
      };
    }
    case "numeric":
      return { test: parseNumeric(operand) };
    case "anything-but":
      return parseAnythingBut(operand);
    case "exists":
      if (operand === true) return { test: () => true };
      if (operand === false) return { matchesAbsence: true };
      return refuse("exists match pattern must be either true or false.");
    case "cidr": {
      // AWS's own (misleading) wording for a CIDR that is not a string.
      if (typeof operand !== "string") return refuse("prefix match pattern must be a string");
      const range = parseCidr(operand);
      return { test: (value) => typeof value === "string" && isInRange(range, value) };
    }
    default:
      return refuse(`Unrecognized match type ${operator}`);
  }
};

type Affix = "prefix" | "suffix";

const affixTest = (affix: Affix, expected: string, ignoreCase: boolean): ValueTest => {
  const wanted = ignoreCase ? expected.toLowerCase() : expected;
  if (affix === "prefix") {
    return (value) =>
      typeof value === "string" && (ignoreCase ? value.toLowerCase() : value).startsWith(wanted);
  }
  return (value) => typeof value === "string" && (ignoreCase ? value.toLowerCase() : value).endsWith(wanted);
};

/** `{"prefix": "x"}` or `{"prefix": {"equals-ignore-case": "x"}}`, and the same for suffix. */
const parseAffix = (affix: Affix, operand: unknown): ValueTest => {
  if (typeof operand === "string") return affixTest(affix, operand, false);
  if (!isObject(operand)) return refuse(`${affix} match pattern must be a string`);
  const [modifier, ...extraKeys] = Object.keys(operand);
  const label = affix === "prefix" ? "Prefix" : "Suffix";
  if (modifier === undefined) return refuse(`${label} expression name not found`);
  if (modifier !== "equals-ignore-case") return refuse(`Unsupported ${affix} pattern: ${modifier}`);
  const expected = operand[modifier];
  if (typeof expected !== "string") return refuse("equals-ignore-case match pattern must be a string");
  if (extraKeys.length > 0) refuse("Only one key allowed in match expression");
  return affixTest(affix, expected, true);
};

const ANYTHING_BUT_OPERAND = "Value of anything-but must be an array or single string/number value.";
// The kinds of anything-but object, each with AWS's reason for a value that is not a string.
const ANYTHING_BUT_NOT_A_STRING: Record<string, string> = {
  "equals-ignore-case":
    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
  prefix: "prefix/suffix match pattern must be a string",
  suffix: "prefix/suffix match pattern must be a string",
  wildcard: "wildcard match pattern must be a string",
};

/**
 * anything-but matches any value that is present (null included) and not excluded; a missing field
 * never matches. Values of another type than the excluded ones are never excluded.
 */
const parseAnythingBut = (operand: unknown): MatchExpression => {
  if (!isObject(operand)) {
    const excluded = new Set(anythingButValues(operand));
    return { test: (value) => !excluded.has(value) };
  }
  const [kind, ...extraKeys] = Object.keys(operand);
  if (kind === undefined) return refuse("Anything-But expression name not found");
  const notAStringReason = ANYTHING_BUT_NOT_A_STRING[kind];
  if (notAStringReason === undefined) return refuse(`Unsupported anything-but pattern: ${kind}`);
  const inner = operand[kind];
  if (!Array.isArray(inner) && typeof inner !== "string" && typeof inner !== "number") {
    return refuse(ANYTHING_BUT_OPERAND);
  }
  const texts = (Array.isArray(inner) ? inner : [inner]).map((item) => {
    if (typeof item !== "string") return refuse(notAStringReason);
    if ((kind === "prefix" || kind === "suffix") && item === "") refuse("Null prefix/suffix not allowed");
    return item;
  });
  if (extraKeys.length > 0) refuse("Too many elements in numeric expression");
  const excludes = anythingButExclusion(kind, texts);
  return {
    test: (value) => typeof value !== "string" || !excludes(value),
    ...(kind === "wildcard"
      ? { wildcards: [{ identity: `anything-but:${JSON.stringify([...new Set(texts)].sort())}`, texts }] }
      : {}),
  };
};

const anythingButExclusion = (kind: string, texts: string[]): ((value: string) => boolean) => {
  switch (kind) {
    case "prefix":
      return (value) => texts.some((text) => value.startsWith(text));
    case "suffix":
      return (value) => texts.some((text) => value.endsWith(text));
    case "wildcard": {
      const wildcards = texts.map(parseWildcard);
      return (value) => wildcards.some((wildcard) => matchesWildcard(wildcard, value));
    }
    default: {
      const lowered = new Set(texts.map((text) => text.toLowerCase()));
      return (value) => lowered.has(value.toLowerCase());
    }
  }
};

const anythingButValues = (operand: unknown): Leaf[] => {
  if (Array.isArray(operand)) return parseAnythingButList(operand);
  if (typeof operand === "number") return [comparable(operand)];
  if (typeof operand === "string") return [operand];
  return refuse(ANYTHING_BUT_OPERAND);
};

const parseAnythingButList = (items: unknown[]): Leaf[] => {
  let hasNumber = false;
  let hasString = false;
  const excluded = items.map((item) => {
    if (typeof item === "string") {
      hasString = true;
      return item;
    }
    if (typeof item === "number") {
      hasNumber = true;
      return comparable(item);
    }
    return refuse("Inside anything but list, start|null|boolean is not supported.");
  });
  if (hasNumber === hasString) {
    refuse("Inside anything but list, either all values are number or string, mixed type is not supported");
  }
  return excluded;
};
