/**
 * An EventBridge event pattern as a JSON object. The same shape as the catalog's `EventPattern`
 * (events/patterns.ts), restated because this library depends on nothing of ours.
 */
export type EventPattern = { [field: string]: unknown };

/** The event values a pattern tests: JSON leaves only, since objects are never values. */
export type Leaf = string | number | boolean | null;
export type ValueTest = (value: Leaf) => boolean;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const isLeaf = (value: unknown): value is Leaf =>
  typeof value === "string" ||
  (typeof value === "number" && Number.isFinite(value)) ||
  typeof value === "boolean" ||
  value === null;
