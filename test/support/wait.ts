import { vi } from "vitest";

/**
 * `vi.waitFor` with room for a loaded CI machine. Its one-second default would make every wait a timing
 * assertion in disguise, failing a correct change on a slow run.
 */
export const waitUntil = <T>(
  check: () => T | Promise<T>,
  options: { timeout?: number; interval?: number } = {},
) => vi.waitFor(check, { timeout: 15_000, interval: 20, ...options });
