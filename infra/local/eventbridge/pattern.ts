import { isIPv6 } from "node:net";
import type { EventPattern } from "../../../events/patterns.ts";

/**
 * The EventBridge content-filtering language: validation that refuses what AWS refuses (with AWS's
 * reasons, which come from its open-source engine, aws/event-ruler) and a compiled matcher.
 *
 * Matching works on leaf paths like AWS: pattern and event keys are joined with dots, so
 * `{"a.b": [1]}` and `{"a": {"b": [1]}}` are the same pattern and match `{"a": {"b": 1}}` and
 * `{"a.b": 1}` alike. Arrays are transparent (any element may match), objects are never values, and
 * fields reached through the same event array must match within one element of it.
 */

export class InvalidEventPatternError extends Error {
  override readonly name = "InvalidEventPatternError";

  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Event pattern is not valid. Reason: ${reason}`, options);
  }
}

/** Decides whether one event matches the pattern it was compiled from. */
export type EventPatternMatcher = (event: object) => boolean;

/** Parses (when given JSON text) and validates a pattern; returns it as an object. */
export const validateEventPattern = (pattern: unknown): EventPattern => parsePattern(pattern).pattern;

/** Validates a pattern and compiles it into a matcher to run against many events. */
export const compileEventPattern = (pattern: unknown): EventPatternMatcher => {
  const { branches } = parsePattern(pattern);
  const compiled = branches.map((branch) => [...branch.values()].map(compileFieldLookup));
  if (compiled.length === 1) {
    const [fields] = compiled as [CompiledField[]];
    return (event) => matchesBranch(fields, event);
  }
  return (event) => compiled.some((fields) => matchesBranch(fields, event));
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

// ---------------------------------------------------------------------------------------------------
// Parsing and validation

type Leaf = string | number | boolean | null;
type ValueTest = (value: Leaf) => boolean;

/** What a pattern demands of the event values at one leaf path. */
interface FieldRule {
  path: string;
  /** Passes for an event value that any of the field's matchers accepts. */
  test: ValueTest;
  /** `{"exists": false}` is among the matchers: the field may be absent. */
  matchesAbsence: boolean;
  /** Wildcard expressions (plain or under anything-but), whose combined complexity AWS limits. */
  wildcards: WildcardPattern[];
}

/** One alternative of the pattern after `$or` is expanded: every field must match. */
type Branch = Map<string, FieldRule>;

interface MatchExpression {
  test?: ValueTest;
  matchesAbsence?: true;
  wildcards?: WildcardPattern[];
}

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

function refuse(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isLeaf = (value: unknown): value is Leaf =>
  typeof value === "string" ||
  (typeof value === "number" && Number.isFinite(value)) ||
  typeof value === "boolean" ||
  value === null;

const parsePattern = (input: unknown): { pattern: EventPattern; branches: Branch[] } => {
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

/** One `{ "operator": operand }` object of a field's value list. */
const parseMatchExpression = (expression: Record<string, unknown>): MatchExpression => {
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

// AWS compares numbers as fixed-point values with six decimals within ±5e9.
const NUMERIC_LIMIT = 5e9;

const comparable = (value: number): number => {
  if (!(value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT)) {
    refuse("Value must be between -5.0E9 and 5.0E9, inclusive");
  }
  if (Number(value.toFixed(6)) !== value) refuse("Only values upto 6 decimals are supported");
  return value;
};

const isComparableNumber = (value: Leaf): value is number =>
  typeof value === "number" && value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT;

/** How AWS names a token it did not expect inside a numeric expression. */
const tokenText = (item: unknown): string => {
  if (item === undefined) return "]";
  if (Array.isArray(item)) return "[";
  if (isObject(item)) return "{";
  return String(item);
};

const numericValue = (operator: string, value: unknown): number => {
  if (typeof value !== "number")
    return refuse(`Value of ${operator === "=" ? "equals" : operator} must be numeric`);
  return comparable(value);
};

/** `["=", n]`, `["<" | "<=", n]`, `[">" | ">=", n]` or `[">" | ">=", low, "<" | "<=", high]`. */
const parseNumeric = (operand: unknown): ValueTest => {
  if (!Array.isArray(operand)) return refuse("Value of numeric must be an array.");
  const [operator, bound, upperOperator, upperBound] = operand;
  if (typeof operator !== "string") return refuse(`Invalid member in numeric match: ${tokenText(operator)}`);
  if (!["=", "<", "<=", ">", ">="].includes(operator)) {
    return refuse(`Unrecognized numeric range operator: ${operator}`);
  }
  const value = numericValue(operator, bound);
  const lower = comparisonTest(operator, value);
  const single: ValueTest = (candidate) => isComparableNumber(candidate) && lower(candidate);
  if (operator === "=" || operator === "<" || operator === "<=") {
    if (operand.length > 2) refuse("Too many elements in numeric expression");
    return single;
  }
  if (operand.length === 2) return single;
  if (typeof upperOperator !== "string")
    return refuse(`Bad value in numeric range: ${tokenText(upperOperator)}`);
  if (upperOperator !== "<" && upperOperator !== "<=")
    return refuse(`Bad numeric range operator: ${upperOperator}`);
  const top = numericValue(upperOperator, upperBound);
  if (operand.length > 4) refuse("Too many terms in numeric range expression");
  if (!(value < top)) refuse("Bottom must be less than top");
  const upper = comparisonTest(upperOperator, top);
  return (candidate) => isComparableNumber(candidate) && lower(candidate) && upper(candidate);
};

const comparisonTest = (operator: string, bound: number): ((value: number) => boolean) => {
  switch (operator) {
    case "=":
      return (value) => value === bound;
    case "<":
      return (value) => value < bound;
    case "<=":
      return (value) => value <= bound;
    case ">":
      return (value) => value > bound;
    default:
      return (value) => value >= bound;
  }
};

// ---------------------------------------------------------------------------------------------------
// IP addresses and CIDR ranges, compared like AWS as fixed-length upper-case hex strings

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const IPV4_MAPPED_PREFIX = "00000000000000000000FFFF";

const hex = (bytes: number[]): string =>
  bytes
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();

/** The address's bytes, `"malformed"` when it looks like an address but is not one, or undefined. */
const ipAddressBytes = (text: string): number[] | "malformed" | undefined => {
  if (IPV4_SHAPE.test(text)) {
    const octets = text.split(".").map(Number);
    return octets.every((octet) => octet <= 255) ? octets : "malformed";
  }
  if (!IPV6_SHAPE.test(text)) return undefined;
  if (!isIPv6(text)) return "malformed";
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  const bytes = groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  // Like Java's address parser, an IPv4-mapped IPv6 address is the IPv4 address.
  return hex(bytes).startsWith(IPV4_MAPPED_PREFIX) ? bytes.slice(12) : bytes;
};

const ipAddressToHex = (text: string): string | undefined => {
  const bytes = ipAddressBytes(text);
  return Array.isArray(bytes) ? hex(bytes) : undefined;
};

// AWS parses the mask as a Java int.
const JAVA_INT_MAX = 2 ** 31 - 1;

interface IpRange {
  bottom: string;
  top: string;
}

/**
 * AWS's range runs from the address as written up to its last host address, so `10.0.0.5/24`
 * covers 10.0.0.5-10.0.0.255, and a full-length mask (/32, /128) is refused.
 */
const parseCidr = (cidr: string): IpRange => {
  const parts = cidr.split("/");
  if (parts.length !== 2) return refuse("Malformed CIDR, one '/' required");
  const [address = "", maskText = ""] = parts;
  if (!/^[+-]?[0-9]+$/.test(maskText)) return refuse("Malformed CIDR, mask bits must be an integer");
  const maskBits = Number(maskText);
  if (Math.abs(maskBits) > JAVA_INT_MAX) return refuse("Malformed CIDR, mask bits must be an integer");
  if (maskBits < 0) return refuse("Malformed CIDR, mask bits must not be negative");
  const bytes = ipAddressBytes(address);
  if (bytes === "malformed") return refuse(`Invalid IP address: ${address}`);
  if (bytes === undefined) return refuse(`Nonstandard IP address: ${address}`);
  const bits = bytes.length * 8;
  if (maskBits >= bits)
    return refuse(bytes.length === 4 ? "IPv4 mask bits must be < 32" : "IPv6 mask bits must be < 128");
  const top = bytes.map((byte, index) => {
    const hostBits = Math.min(8, Math.max(0, bits - maskBits - (bytes.length - 1 - index) * 8));
    return byte | ((1 << hostBits) - 1);
  });
  return { bottom: hex(bytes), top: hex(top) };
};

const isInRange = (range: IpRange, text: string): boolean => {
  const address = ipAddressToHex(text);
  return (
    address !== undefined &&
    address.length === range.bottom.length &&
    address >= range.bottom &&
    address <= range.top
  );
};

// ---------------------------------------------------------------------------------------------------
// Wildcards: `*` matches any run of characters, `\*` and `\\` are a literal star and backslash

const STAR = -1;
const QUOTE = 0x22;

/** The literal pieces between the wildcard stars. */
const parseWildcard = (text: string): string[] => {
  const pieces: string[] = [];
  let piece = "";
  let bytePosition = 1; // AWS counts UTF-8 bytes from the value's opening quote.
  const characters = Array.from(text);
  for (let index = 0; index < characters.length; index += 1) {
    const character = characters[index] as string;
    if (character === "*") {
      if (characters[index + 1] === "*") refuse(`Consecutive wildcard characters at pos ${bytePosition}`);
      pieces.push(piece);
      piece = "";
    } else if (character === "\\") {
      const escaped = characters[index + 1];
      if (escaped !== "*" && escaped !== "\\") refuse(`Invalid escape character at pos ${bytePosition}`);
      piece += escaped;
      index += 1;
      bytePosition += 1;
    } else {
      piece += character;
    }
    bytePosition += Buffer.byteLength(character);
  }
  pieces.push(piece);
  return pieces;
};

/** Leftmost placement of each middle piece is optimal for `*`-only globs, so this runs in O(n·m). */
const matchesWildcard = (pieces: string[], value: string): boolean => {
  const first = pieces[0] as string;
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] as string;
  const end = value.length - last.length;
  if (end < first.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const piece = pieces[index] as string;
    const found = value.indexOf(piece, position);
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
};

/**
 * AWS refuses a field whose wildcards could keep too many partial matches alive at once, since that is
 * what makes wildcards costly to evaluate. This follows AWS's evaluator: the field's wildcards (with
 * the quotes AWS matches around string values) form one byte automaton in which literal prefixes and
 * the first wildcard are shared; for every set of states some input can reach, each state counts the
 * wildcard patterns it leads to (and a state that could enter a wildcard next counts that wildcard's
 * too); the largest count is the complexity.
 */
const MAX_WILDCARD_COMPLEXITY = 10;
// Guards validation time against adversarial patterns; far beyond anything a real rule reaches.
const MAX_EXPLORED_STATE_SETS = 50_000;

/** The wildcards of one matcher; an anything-but list is one pattern with several texts. */
interface WildcardPattern {
  identity: string;
  texts: string[];
}

interface WildcardState {
  id: number;
  next: Map<number, WildcardState[]>;
  /** Shared children along a literal prefix that no wildcard precedes yet. */
  prefixChildren: Map<number, WildcardState>;
  /** The wildcard this state can enter by consuming any byte. */
  wildcard: WildcardState | undefined;
  /** A wildcard state: it stays here on any byte. */
  loops: boolean;
  patterns: Set<string>;
}

const wildcardComplexity = (wildcards: WildcardPattern[]): number => {
  const states: WildcardState[] = [];
  const newState = (loops: boolean): WildcardState => {
    const state = {
      id: states.length,
      next: new Map(),
      prefixChildren: new Map(),
      wildcard: undefined,
      loops,
      patterns: new Set<string>(),
    };
    states.push(state);
    return state;
  };
  const root = newState(false);
  for (const { identity, texts } of wildcards) {
    for (const text of texts) addWildcardPath(root, identity, text, newState);
  }
  const alphabet = [...new Set(states.flatMap((state) => [...state.next.keys()])), STAR];
  const stepOn = (from: WildcardState[], byte: number): WildcardState[] => {
    const reached = new Set<WildcardState>();
    for (const state of from) {
      for (const next of state.next.get(byte) ?? []) reached.add(next);
      if (state.loops) reached.add(state);
      if (state.wildcard) reached.add(state.wildcard);
    }
    return [...reached].sort((a, b) => a.id - b.id);
  };
  const complexityOf = (active: WildcardState[]): number => {
    const activeSet = new Set(active);
    let total = 0;
    for (const state of active) {
      total += state.patterns.size;
      if (state.wildcard && !activeSet.has(state.wildcard)) total += state.wildcard.patterns.size;
    }
    return total;
  };
  const seen = new Set<string>();
  const pending = [[root]];
  let maximum = 0;
  for (let active = pending.pop(); active !== undefined; active = pending.pop()) {
    for (const byte of alphabet) {
      const next = stepOn(active, byte);
      if (next.length === 0) continue;
      maximum = Math.max(maximum, complexityOf(next));
      if (maximum > MAX_WILDCARD_COMPLEXITY) return maximum;
      const key = next.map((state) => state.id).join();
      if (seen.has(key)) continue;
      if (seen.size >= MAX_EXPLORED_STATE_SETS) return Number.POSITIVE_INFINITY;
      seen.add(key);
      pending.push(next);
    }
  }
  return maximum;
};

const addWildcardPath = (
  root: WildcardState,
  identity: string,
  text: string,
  newState: (loops: boolean) => WildcardState,
): void => {
  const tokens = [QUOTE];
  parseWildcard(text).forEach((piece, index) => {
    if (index > 0) tokens.push(STAR);
    tokens.push(...Buffer.from(piece, "utf8"));
  });
  tokens.push(QUOTE);
  let current = root;
  let beforeAnyWildcard = true;
  // After a wildcard, the next byte leaves from the state before it (empty match) or from the wildcard.
  let departures = [root];
  for (const token of tokens) {
    if (token === STAR) {
      const wildcard = (beforeAnyWildcard && current.wildcard) || newState(true);
      current.wildcard = wildcard;
      wildcard.patterns.add(identity);
      departures = [current, wildcard];
      current = wildcard;
      beforeAnyWildcard = false;
      continue;
    }
    let next = beforeAnyWildcard ? current.prefixChildren.get(token) : undefined;
    if (!next) {
      next = newState(false);
      for (const from of departures) from.next.set(token, [...(from.next.get(token) ?? []), next]);
      if (beforeAnyWildcard) current.prefixChildren.set(token, next);
    }
    next.patterns.add(identity);
    current = next;
    departures = [next];
  }
};

// ---------------------------------------------------------------------------------------------------
// Matching

interface CompiledField {
  rule: FieldRule;
  /** keysFrom[i][j]: path segments i..j joined with dots, the event keys that can cover them. */
  keysFrom: string[][];
  segmentCount: number;
}

/** Which element of which event array a value was reached through. */
interface ArrayStep {
  array: unknown[];
  index: number;
  previous: ArrayStep | undefined;
}

const compileFieldLookup = (rule: FieldRule): CompiledField => {
  const segments = rule.path.split(".");
  const keysFrom = segments.map((_, from) =>
    segments.slice(from).map((__, length) => segments.slice(from, from + length + 1).join(".")),
  );
  return { rule, keysFrom, segmentCount: segments.length };
};

const SATISFIED = true;
const UNSATISFIED = false;
type FieldOutcome = typeof SATISFIED | typeof UNSATISFIED | ArrayStep[];

/**
 * Finds the event values at the field's path and tests them. A value reached without crossing an
 * array satisfies the field outright; otherwise the array elements it came through are returned so
 * the branch can insist that its fields agree on them.
 */
const evaluateField = (field: CompiledField, event: object): FieldOutcome => {
  const direct = findAlongSingleKeys(field, event);
  if (direct !== BRANCHING) {
    // An object at the path holds no value there, which counts as absent like a missing key.
    if (!isLeaf(direct)) return field.rule.matchesAbsence ? SATISFIED : UNSATISFIED;
    return field.rule.test(direct) ? SATISFIED : UNSATISFIED;
  }
  const { rule, keysFrom, segmentCount } = field;
  let foundValue = false;
  let viaArrays: ArrayStep[] | undefined;
  const pendingNodes: unknown[] = [event];
  const pendingSegments: number[] = [0];
  const pendingSteps: (ArrayStep | undefined)[] = [undefined];
  while (pendingNodes.length > 0) {
    const node = pendingNodes.pop();
    const segment = pendingSegments.pop() as number;
    const step = pendingSteps.pop();
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index += 1) {
        pendingNodes.push(node[index]);
        pendingSegments.push(segment);
        // Arrays holding the leaf values belong to that one path, so they never constrain others.
        pendingSteps.push(segment < segmentCount ? { array: node, index, previous: step } : step);
      }
    } else if (segment === segmentCount) {
      if (!isLeaf(node)) continue;
      foundValue = true;
      if (!rule.test(node)) continue;
      if (step === undefined) return SATISFIED;
      viaArrays ??= [];
      viaArrays.push(step);
    } else if (isObject(node)) {
      const candidates = keysFrom[segment] as string[];
      for (let length = 0; length < candidates.length; length += 1) {
        const key = candidates[length] as string;
        if (!Object.hasOwn(node, key)) continue;
        pendingNodes.push(node[key]);
        pendingSegments.push(segment + length + 1);
        pendingSteps.push(step);
      }
    }
  }
  if (viaArrays) return viaArrays;
  return !foundValue && rule.matchesAbsence ? SATISFIED : UNSATISFIED;
};

const BRANCHING = Symbol("branching");

/**
 * The common case, done without a traversal stack: each segment is one plain key and no array is on
 * the way. Returns the value at the path (an object or array included), undefined when the path
 * ends early, or BRANCHING when arrays or dotted keys need the full traversal.
 */
const findAlongSingleKeys = (field: CompiledField, event: object): unknown => {
  let node: unknown = event;
  for (let segment = 0; segment < field.segmentCount; segment += 1) {
    if (!isObject(node)) return Array.isArray(node) ? BRANCHING : undefined;
    const candidates = field.keysFrom[segment] as string[];
    for (let length = 1; length < candidates.length; length += 1) {
      if (Object.hasOwn(node, candidates[length] as string)) return BRANCHING;
    }
    const key = candidates[0] as string;
    if (!Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return Array.isArray(node) ? BRANCHING : node;
};

const matchesBranch = (fields: CompiledField[], event: object): boolean => {
  let constrained: ArrayStep[][] | undefined;
  for (const field of fields) {
    const outcome = evaluateField(field, event);
    if (outcome === UNSATISFIED) return false;
    if (outcome !== SATISFIED) {
      constrained ??= [];
      constrained.push(outcome);
    }
  }
  return (
    constrained === undefined || constrained.length === 1 || agreeOnArrayElements(constrained, 0, new Map())
  );
};

/** Whether one matching value per field can be chosen so that no event array is read at two elements. */
const agreeOnArrayElements = (
  fields: ArrayStep[][],
  fieldIndex: number,
  chosen: Map<unknown[], number>,
): boolean => {
  const options = fields[fieldIndex];
  if (options === undefined) return true;
  for (const option of options) {
    const added: unknown[][] = [];
    let consistent = true;
    for (let step: ArrayStep | undefined = option; step !== undefined; step = step.previous) {
      const index = chosen.get(step.array);
      if (index === undefined) {
        chosen.set(step.array, step.index);
        added.push(step.array);
      } else if (index !== step.index) {
        consistent = false;
        break;
      }
    }
    if (consistent && agreeOnArrayElements(fields, fieldIndex + 1, chosen)) return true;
    for (const array of added) chosen.delete(array);
  }
  return false;
};
