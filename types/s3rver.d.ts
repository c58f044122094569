declare module "s3rver" {
  import type { RequestListener } from "node:http";

  interface S3rverOptions {
    directory?: string;
    silent?: boolean;
    vhostBuckets?: boolean;
  }

  /** An object as the store lists it: its metadata as its headers would carry it. */
  interface S3Object {
    key: string;
    metadata: { "last-modified"?: string; etag?: string };
    size: number;
  }

  /** Its filesystem store: one directory per bucket under `directory`. */
  interface FilesystemStore {
    putBucket(bucket: string): Promise<unknown>;
    deleteBucket(bucket: string): Promise<void>;
    /** Objects in key order after `startAfter` whose key starts with `prefix`, `maxKeys` at most. */
    listObjects(
      bucket: string,
      options: { maxKeys: number; prefix?: string; startAfter?: string },
    ): Promise<{ objects: S3Object[]; isTruncated: boolean }>;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    readonly store: FilesystemStore;
    readonly logger: { close(): void };
    /** The Koa app's request listener. */
    callback(): RequestListener;
  }
}
