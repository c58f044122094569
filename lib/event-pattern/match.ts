import type { Branch, FieldRule } from "./parse.ts";
import { isLeaf, isObject } from "./values.ts";

/**
 * Matching an event against a validated pattern.
 *
 * Matching works on leaf paths like AWS: pattern and event keys are joined with dots, so
 * `{"a.b": [1]}` and `{"a": {"b": [1]}}` are the same pattern and match `{"a": {"b": 1}}` and
 * `{"a.b": 1}` alike. Arrays are transparent (any element may match), objects are never values, and
 * fields reached through the same event array must match within one element of it.
 */

/** Decides whether one event matches the pattern it was compiled from. */
export type EventPatternMatcher = (event: object) => boolean;

/**
 * For an event the pattern does not match, why: per alternative, the paths of the fields the event
 * fails. An alternative with no paths listed has every field matched, but through different elements
 * of one event array.
 */
export type EventPatternMismatches = (event: object) => string[][];

const compileBranches = (branches: Branch[]): CompiledField[][] =>
  branches.map((branch) => [...branch.values()].map(compileFieldLookup));

/** A matcher for the alternatives of a parsed pattern: an event matches when any alternative does. */
export const matcherOf = (branches: Branch[]): EventPatternMatcher => {
  const compiled = compileBranches(branches);
  if (compiled.length === 1) {
    const [fields] = compiled as [CompiledField[]];
    return (event) => matchesBranch(fields, event);
  }
  return (event) => compiled.some((fields) => matchesBranch(fields, event));
};

/** Reports the fields of each alternative an event fails; slower than the matcher, so asked only to explain. */
export const mismatchesOf = (branches: Branch[]): EventPatternMismatches => {
  const compiled = compileBranches(branches);
  return (event) =>
    compiled.map((fields) =>
      fields.filter((field) => evaluateField(field, event) === UNSATISFIED).map((field) => field.rule.path),
    );
};

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
