import { refuse } from "./refusal.ts";
import { isObject, type Leaf, type ValueTest } from "./values.ts";

/** Numbers, compared as AWS compares them: `numeric` ranges and the numbers of anything-but lists. */

// AWS compares numbers as fixed-point values with six decimals within ±5e9.
const NUMERIC_LIMIT = 5e9;

export const comparable = (value: number): number => {
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
export const parseNumeric = (operand: unknown): ValueTest => {
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
