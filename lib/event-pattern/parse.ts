import { ipAddressToHex } from "./ip-address.ts";
import { parseMatchExpression } from "./operators.ts";
import { InvalidEventPatternError, refuse } from "./refusal.ts";
import { type EventPattern, isLeaf, isObject, type Leaf, type ValueTest } from "./values.ts";
import { MAX_WILDCARD_COMPLEXITY, type WildcardPattern, wildcardComplexity } from "./wildcard.ts";

/**
 * Parsing and validation: turns a pattern (an object, or JSON text as TestEventPattern sends it) into
 * its alternatives, refusing what AWS refuses. Objects nest paths, arrays list a field's values and
 * match expressions, and `$or` splits the pattern into alternatives.
 */

/** What a pattern demands of the event values at one leaf path. */
export interface FieldRule {
  path: string;
  /** Passes for an event value that any of the field's matchers accepts. */
  test: ValueTest;
  /** `{"exists": false}` is among the matchers: the field may be absent. */
  matchesAbsence: boolean;
  /** Wildcard expressions (plain or under anything-but), whose combined complexity AWS limits. */
  wildcards: WildcardPattern[];
}

/** One alternative of the pattern after `$or` is expanded: every field must match. */
export type Branch = Map<string, FieldRule>;

const OR_KEYWORD = "$or";
// Inside `$or`, AWS refuses these as field names because they are (or are reserved as) operators.
const RESERVED_FIELD_NAMES_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);
/**
 * Every `$or` multiplies the alternatives before it, so a pattern of 2 KB can ask for billions of them.
 * AWS refuses such rules as too complex; locally 1,000 alternatives (ten independent two-way `$or`s
 * would be 1,024) is far beyond any real rule while keeping compiling and matching one event cheap.
 */
const MAX_OR_ALTERNATIVES = 1000;
// Jackson, the JSON parser behind AWS's engine, refuses documents nested deeper than this by default.
const MAX_NESTING_DEPTH = 1000;

export const parsePattern = (input: unknown): { pattern: EventPattern; branches: Branch[] } => {
  const pattern = typeof input === "string" ? parseJsonText(input) : input;
  if (!isObject(pattern)) return refuse("Filter is not an object");
  const branches: Branch[] = [];
  parseFields(branches, pattern, "", false, 1);
  const wildcardFields = new Set(
    branches.flatMap((branch) => [...branch.values()].filter((field) => field.wildcards.length > 0)),
  );
  for (const field of wildcardFields) {
    if (wildcardComplexity(field.wildcards) > MAX_WILDCARD_COMPLEXITY) {
      refuse(
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
      );
    }
  }
  return { pattern, branches };
};

const parseJsonText = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidEventPatternError(`Filter is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/**
 * Walks one pattern object, adding its fields to every branch. `$or` replaces the branches so far by
 * one copy per alternative, exactly like AWS's compiler, so a path written twice keeps the last value.
 */
const parseFields = (
  branches: Branch[],
  object: Record<string, unknown>,
  pathPrefix: string,
  insideOr: boolean,
  depth: number,
): void => {
  if (depth > MAX_NESTING_DEPTH) {
    refuse(`Document nesting depth exceeds the maximum allowed (${MAX_NESTING_DEPTH})`);
  }
  const keys = Object.keys(object);
  if (keys.length === 0) refuse("Empty objects are not allowed");
  for (const key of keys) {
    const value = object[key];
    if (key === OR_KEYWORD) {
      parseOr(branches, value, pathPrefix, depth);
      continue;
    }
    if (insideOr && RESERVED_FIELD_NAMES_IN_OR.has(key)) {
      refuse(`${key} is Ruler reserved fieldName which cannot be used inside ${OR_KEYWORD}.`);
    }
    const path = pathPrefix === "" ? key : `${pathPrefix}.${key}`;
    if (isObject(value)) parseFields(branches, value, path, insideOr, depth + 1);
    else if (Array.isArray(value)) addField(branches, path, value);
    else refuse(`"${key}" must be an object or an array`);
  }
};

const parseOr = (branches: Branch[], alternatives: unknown, pathPrefix: string, depth: number): void => {
  const before = branches.map((branch) => new Map(branch));
  branches.length = 0;
  if (!Array.isArray(alternatives)) refuse(`It must be an Array followed with ${OR_KEYWORD}.`);
  for (const alternative of alternatives) {
    if (!isObject(alternative)) refuse(`Only JSON object is allowed in array of ${OR_KEYWORD} relationship.`);
    const forked = before.length === 0 ? [new Map()] : before.map((branch) => new Map(branch));
    parseFields(forked, alternative, pathPrefix, true, depth + 1);
    if (branches.length + forked.length > MAX_OR_ALTERNATIVES) {
      refuse(
        `Rule is too complex - try using fewer ${OR_KEYWORD} relationships or fewer alternatives in each`,
      );
    }
    for (const branch of forked) branches.push(branch);
  }
  if (alternatives.length < 2) refuse(`There must have at least 2 Objects in ${OR_KEYWORD} relationship.`);
};

const addField = (branches: Branch[], path: string, values: unknown[]): void => {
  const field = parseFieldValues(path, values);
  if (branches.length === 0) branches.push(new Map());
  for (const branch of branches) branch.set(path, field);
};

const parseFieldValues = (path: string, values: unknown[]): FieldRule => {
  const exactValues = new Set<Leaf>();
  const ipAddresses = new Set<string>();
  const tests: ValueTest[] = [];
  const wildcards: WildcardPattern[] = [];
  let matchesAbsence = false;
  for (const value of values) {
    if (isObject(value)) {
      const expression = parseMatchExpression(value);
      if (expression.test) tests.push(expression.test);
      if (expression.matchesAbsence) matchesAbsence = true;
      if (expression.wildcards) wildcards.push(...expression.wildcards);
    } else if (isLeaf(value)) {
      // AWS matches a pattern string that is an IP address by address, so `::1` matches `0:0::1`.
      const address = typeof value === "string" ? ipAddressToHex(value) : undefined;
      if (address === undefined) exactValues.add(value);
      else ipAddresses.add(address);
    } else {
      refuse("Match value must be String, number, true, false, or null");
    }
  }
  if (values.length === 0) refuse("Empty arrays are not allowed");
  if (exactValues.size > 0) tests.unshift((value) => exactValues.has(value));
  if (ipAddresses.size > 0) {
    tests.push((value) => {
      if (typeof value !== "string") return false;
      const address = ipAddressToHex(value);
      return address !== undefined && ipAddresses.has(address);
    });
  }
  return { path, test: anyOf(tests), matchesAbsence, wildcards };
};

const anyOf = (tests: ValueTest[]): ValueTest => {
  if (tests.length === 1) return tests[0] as ValueTest;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
};
