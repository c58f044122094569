import { readFileIfExists, replaceFileDurably } from "./durable-file.ts";

/**
 * A secret made once per data directory and read back on every start (a key, credentials), so what it
 * signs survives restarts. Written durably and readable by the owner alone: a crash during the first
 * start leaves no file or the whole one, never an empty secret that breaks every later start.
 */
export const readOrCreateSecretFile = async (
  file: string,
  make: () => Promise<string> | string,
): Promise<string> => {
  const existing = await readFileIfExists(file);
  if (existing !== undefined) return existing;
  const secret = await make();
  await replaceFileDurably(file, secret, 0o600);
  return secret;
};
