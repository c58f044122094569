import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Under DATA_DIR: the id of the process whose stack runs on it. */
export const CLAIM_FILE = "stack.pid";

/** Another running stack holds the data directory: its database takes one stack at a time. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user's process.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

const claimantOf = async (file: string): Promise<number | undefined> => {
  try {
    const pid = Number.parseInt(await readFile(file, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

/**
 * Claims the data directory for this process's stack, or says which process runs a stack on it: two
 * stacks on one directory would share a database that only one may open, and fail obscurely. A claim
 * left by a stack that was killed (its process gone) is taken over.
 */
export const claimDataDir = async (dataDir: string): Promise<{ release(): Promise<void> }> => {
  const file = join(dataDir, CLAIM_FILE);
  const claimant = await claimantOf(file);
  if (claimant !== undefined && claimant !== process.pid && isRunning(claimant)) {
    throw new DataDirInUseError(
      `${dataDir} is in use by the local stack of process ${claimant}: stop that one first, or start this one with another DATA_DIR`,
    );
  }
  await writeFile(file, String(process.pid));
  return {
    release: async () => {
      if ((await claimantOf(file)) === process.pid) await rm(file, { force: true });
    },
  };
};
