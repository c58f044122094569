import { open, readFile, rename } from "node:fs/promises";
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

/** The file's text, or `undefined` when there is no such file (yet). */
export const readFileIfExists = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

/**
 * One file's writes, each through replaceFileDurably, run one at a time in the order they were asked for:
 * so each lands whole and the last one asked for is what stays. A write that fails rejects its own caller
 * only; the ones after it go ahead.
 */
export class DurableFile {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly mode?: number,
  ) {}

  /** Writes `content` once every write asked for before it has finished. */
  write(content: string): Promise<void> {
    return this.inTurn((write) => write(content));
  }

  /**
   * Runs `step` once every step asked for before it has finished, handing it the file's write: for content
   * that depends on what the steps before it did.
   */
  inTurn<T>(step: (write: (content: string) => Promise<void>) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => step((content) => replaceFileDurably(this.path, content, this.mode)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every write asked for so far has finished, whether or not it succeeded. */
  async settled(): Promise<void> {
    await this.queue;
  }
}

/**
 * A state kept whole in one file: a change is made to a copy, the copy written (DurableFile), and only then
 * does it become the state, so what anyone reads has survived a crash. Changes run one at a time, each on
 * what the one before it left; a change that throws, or whose write fails, leaves the state as it was.
 */
export class DurableState<S> {
  private readonly file: DurableFile;

  constructor(
    path: string,
    private current: S,
    private readonly serialize: (state: S) => string,
  ) {
    this.file = new DurableFile(path);
  }

  get value(): Readonly<S> {
    return this.current;
  }

  /** Applies `change` to a copy of the state and resolves with its result once the copy is the state. */
  change<T>(change: (draft: S) => T): Promise<T> {
    return this.file.inTurn(async (write) => {
      const draft = structuredClone(this.current);
      const result = change(draft);
      await write(this.serialize(draft));
      this.current = draft;
      return result;
    });
  }

  /** Resolves once every change asked for so far has finished. */
  settled(): Promise<void> {
    return this.file.settled();
  }
}
