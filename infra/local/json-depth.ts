/**
 * Whether a parsed JSON value nests objects and arrays more than `limit` deep (the top-level value is
 * depth 1). Walked without recursion, since the values it guards against are the ones that overflow the
 * stack of whatever recursive code reads them next.
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (current === null || typeof current !== "object") continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
};
