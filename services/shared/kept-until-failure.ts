/**
 * `load` run once and its promise kept for every later call, unless it fails: then the next call runs it
 * again. For what a process reads once from a remote store (a secret) and must not lose to one bad moment.
 */
export const keptUntilFailure = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= load().catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
};
