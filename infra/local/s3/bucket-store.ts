import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DurableState, readFileIfExists } from "../durable-file.ts";
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

const deserialize = (path: string, text: string): Map<string, BucketRecord> => {
  let records: BucketRecord[];
  try {
    records = JSON.parse(text) as BucketRecord[];
  } catch (cause) {
    throw new BucketStoreCorruptError(`${path} is not the local S3's bucket list`, { cause });
  }
  return new Map(records.map((record) => [record.name, record]));
};

/**
 * The local S3's buckets: who owns each, its region and its settings, one JSON file under
 * `DATA_DIR/s3/`. As the Scheduler's store does, a change is made to a copy, written whole and fsynced,
 * and only then becomes the state (DurableState); changes run one at a time, so two CreateBuckets of one
 * name cannot both succeed. The objects themselves are s3rver's, in its own directory.
 */
export class BucketStore {
  private constructor(private readonly stored: DurableState<Map<string, BucketRecord>>) {}

  static async open(directory: string): Promise<BucketStore> {
    await mkdir(directory, { recursive: true });
    const path = join(directory, "buckets.json");
    const text = await readFileIfExists(path);
    const buckets = text === undefined ? new Map<string, BucketRecord>() : deserialize(path, text);
    return new BucketStore(new DurableState(path, buckets, serialize));
  }

  get(name: string): BucketRecord | undefined {
    return this.stored.value.get(name);
  }

  list(): BucketRecord[] {
    return [...this.stored.value.values()];
  }

  /** Records a new bucket; rejects with BucketTakenError if the name was taken meanwhile. */
  create(record: BucketRecord): Promise<void> {
    return this.stored.change((draft) => {
      const existing = draft.get(record.name);
      if (existing) throw new BucketTakenError(existing);
      draft.set(record.name, record);
    });
  }

  delete(name: string): Promise<void> {
    return this.stored.change((draft) => {
      draft.delete(name);
    });
  }

  /** Sets (or, with `undefined`, removes) one setting of a bucket that still exists. */
  setSetting(name: string, setting: BucketSetting, document: string | undefined): Promise<boolean> {
    return this.stored.change((draft) => {
      const bucket = draft.get(name);
      if (!bucket) return false;
      if (document === undefined) delete bucket.settings[setting];
      else bucket.settings[setting] = document;
      return true;
    });
  }
}
