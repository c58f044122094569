import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces a file in one step (temp file, fsync, rename, fsync of the directory), so after a crash or
 * power loss it holds either the old content or the new, whole, under its own name.
 */
export const replaceFileDurably = async (path: string, content: string): Promise<void> => {
  const temporaryPath = `${path}.tmp`;
  const file = await open(temporaryPath, "w");
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporaryPath, path);
  const directory = await open(dirname(path), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
};
