import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { replaceFileDurably } from "../durable-file.ts";
import type { BucketSetting } from "./operations.ts";

export interface BucketRecord {
  name: string;
  /** The ARN of the principal that created it: its owner. */
  ownerArn: string;
  region: string;
  /** Epoch ms. */
  creationDate: number;
  /** Each setting's document as it was put, answered back as is. */
  settings: Partial<Record<BucketSetting, string>>;
}

export class BucketStoreCorruptError extends Error {
  override readonly name = "BucketStoreCorruptError";
}

/** A CreateBucket lost a race for its name: the bucket another request made first. */
export class BucketTakenError extends Error {
  override readonly name = "BucketTakenError";
  constructor(readonly existing: BucketRecord) {
    super(`Bucket ${existing.name} already exists`);
  }
}

const serialize = (buckets: Map<string, BucketRecord>) =>
  `${JSON.stringify([...buckets.values()], null, 1)}\n`;

/**
 * The local S3's buckets: who owns each, its region and its settings, one JSON file under
 * `DATA_DIR/s3/`. As the Scheduler's store does, a change is made to a copy, written whole and fsynced
 * (durable-file.ts), and only then becomes the state; changes run one at a time, so two CreateBuckets
 * of one name cannot both succeed. The objects themselves are s3rver's, in its own directory.
 */
export class BucketStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private current: Map<string, BucketRecord>,
  ) {}

  static async open(directory: string): Promise<BucketStore> {
    await mkdir(directory, { recursive: true });
    const path = join(directory, "buckets.json");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new BucketStore(path, new Map());
      throw error;
    }
    let records: BucketRecord[];
    try {
      records = JSON.parse(text) as BucketRecord[];
    } catch (cause) {
      throw new BucketStoreCorruptError(`${path} is not the local S3's bucket list`, { cause });
    }
    return new BucketStore(path, new Map(records.map((record) => [record.name, record])));
  }

  get(name: string): BucketRecord | undefined {
    return this.current.get(name);
  }

  list(): BucketRecord[] {
    return [...this.current.values()];
  }

  /** Records a new bucket; rejects with BucketTakenError if the name was taken meanwhile. */
  create(record: BucketRecord): Promise<void> {
    return this.change((draft) => {
      const existing = draft.get(record.name);
      if (existing) throw new BucketTakenError(existing);
      draft.set(record.name, record);
    });
  }

  delete(name: string): Promise<void> {
    return this.change((draft) => {
      draft.delete(name);
    });
  }

  /** Sets (or, with `undefined`, removes) one setting of a bucket that still exists. */
  setSetting(name: string, setting: BucketSetting, document: string | undefined): Promise<boolean> {
    return this.change((draft) => {
      const bucket = draft.get(name);
      if (!bucket) return false;
      if (document === undefined) delete bucket.settings[setting];
      else bucket.settings[setting] = document;
      return true;
    });
  }

  private change<T>(change: (draft: Map<string, BucketRecord>) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const draft = structuredClone(this.current);
      const result = change(draft);
      await replaceFileDurably(this.path, serialize(draft));
      this.current = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
