import { existsSync, readFileSync } from "node:fs";
import type { Adapter, AdapterConstructor, AdapterPayload } from "oidc-provider";
import { DurableFile } from "../durable-file.ts";

interface StoredEntry {
  payload: AdapterPayload;
  /** Epoch milliseconds; absent for what lives until it is destroyed. */
  expiresAt?: number;
}

export class IdentityStoreError extends Error {
  override readonly name = "IdentityStoreError";
}

const readEntries = (file: string): Map<string, StoredEntry> => {
  if (!existsSync(file)) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, StoredEntry>));
  } catch (cause) {
    throw new IdentityStoreError(`${file} is not readable JSON; remove it to sign everyone out`, { cause });
  }
};

/**
 * The provider's sessions, grants, codes and refresh tokens in one JSON file, so a restart of local
 * mode signs nobody out. Local mode holds a handful of users, so every write rewrites the file and
 * every secondary lookup is a scan.
 */
export const fileAdapter = (file: string): AdapterConstructor => {
  const entries = readEntries(file);
  const durable = new DurableFile(file);

  const isLive = (entry: StoredEntry | undefined): entry is StoredEntry =>
    entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > Date.now());

  /** One write after another (a failed one fails its caller, not the next), expired entries left out. */
  const save = (): Promise<void> =>
    durable.inTurn((write) => {
      for (const [key, entry] of entries) if (!isLive(entry)) entries.delete(key);
      return write(JSON.stringify(Object.fromEntries(entries)));
    });

  const findWhere = (model: string, matches: (payload: AdapterPayload) => boolean) => {
    for (const [key, entry] of entries)
      if (key.startsWith(`${model}:`) && isLive(entry) && matches(entry.payload)) return entry.payload;
    return undefined;
  };

  return class FileAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string) {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      entries.set(this.key(id), {
        payload,
        ...(expiresIn !== undefined && { expiresAt: Date.now() + expiresIn * 1000 }),
      });
      await save();
    }

    async find(id: string) {
      const entry = entries.get(this.key(id));
      return isLive(entry) ? entry.payload : undefined;
    }

    async findByUid(uid: string) {
      return findWhere(this.model, (payload) => payload.uid === uid);
    }

    async findByUserCode(userCode: string) {
      return findWhere(this.model, (payload) => payload.userCode === userCode);
    }

    async consume(id: string) {
      const entry = entries.get(this.key(id));
      if (!entry) return;
      entry.payload.consumed = Math.floor(Date.now() / 1000);
      await save();
    }

    async destroy(id: string) {
      if (entries.delete(this.key(id))) await save();
    }

    async revokeByGrantId(grantId: string) {
      for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
      await save();
    }
  };
};
