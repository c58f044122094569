import {
  appendFileSync,
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  truncateSync,
} from "node:fs";

export class JournalLineError extends Error {
  override readonly name = "JournalLineError";
}

/**
 * A file of JSON lines, each appended and flushed to disk before `append` returns: what a caller was
 * answered survives a kill -9. A line cut short by a kill is the last one and was never confirmed: it
 * is cut off the file as the journal opens, so the next record starts on a line of its own.
 */
export class LineJournal<R> {
  private constructor(
    private readonly descriptor: number,
    /** What the file held when it was opened, in order. */
    readonly records: readonly R[],
  ) {}

  /** Opens (or creates) `file`; `what` names a record in the error for a line that is not JSON. */
  static open<R>(file: string, what: string): LineJournal<R> {
    return new LineJournal<R>(openSync(file, "a"), LineJournal.read<R>(file, what));
  }

  private static read<R>(file: string, what: string): R[] {
    if (!existsSync(file)) return [];
    const text = readFileSync(file, "utf8");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length < text.length) truncateSync(file, Buffer.byteLength(complete));
    return complete
      .split("\n")
      .filter(Boolean)
      .map((line, index) => {
        try {
          return JSON.parse(line) as R;
        } catch (cause) {
          throw new JournalLineError(`${file} line ${index + 1} is not ${what}`, { cause });
        }
      });
  }

  append(record: R): void {
    appendFileSync(this.descriptor, `${JSON.stringify(record)}\n`);
    fdatasyncSync(this.descriptor);
  }

  clear(): void {
    ftruncateSync(this.descriptor, 0);
    fdatasyncSync(this.descriptor);
  }

  close(): void {
    closeSync(this.descriptor);
  }
}
