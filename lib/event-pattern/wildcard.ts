import { refuse } from "./refusal.ts";

/**
 * Wildcards: `*` matches any run of characters, `\*` and `\\` are a literal star and backslash. AWS also
 * limits how complex the wildcards of one field may get together.
 */

const STAR = -1;
const QUOTE = 0x22;

/** The literal pieces between the wildcard stars. */
export const parseWildcard = (text: string): string[] => {
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
export const matchesWildcard = (pieces: string[], value: string): boolean => {
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
export const MAX_WILDCARD_COMPLEXITY = 10;
// Guards validation time against adversarial patterns; far beyond anything a real rule reaches.
const MAX_EXPLORED_STATE_SETS = 50_000;

/** The wildcards of one matcher; an anything-but list is one pattern with several texts. */
export interface WildcardPattern {
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

export const wildcardComplexity = (wildcards: WildcardPattern[]): number => {
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
