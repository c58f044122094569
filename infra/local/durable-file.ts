import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces a file in one step (temp file, fsync, rename, fsync of the directory), so after a crash or
 * power loss it holds either the old content or the new, whole, under its own name. `mode` sets who may
 * read it from its first byte on (a secret: 0o600).
 */
export const replaceFileDurably = async (path: string, content: string, mode = 0o644): Promise<void> => {
  const temporaryPath = `${path}.tmp`;
  const file = await open(temporaryPath, "w", mode);
  try {
    // A temp file a crash left behind keeps its old mode through `open`: set it before any byte.
    await file.chmod(mode);
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
