declare module "s3rver" {
  import type { RequestListener } from "node:http";

  interface S3rverOptions {
    directory?: string;
    silent?: boolean;
    vhostBuckets?: boolean;
  }

  /** Its filesystem store: one directory per bucket under `directory`. */
  interface FilesystemStore {
    putBucket(bucket: string): Promise<unknown>;
    deleteBucket(bucket: string): Promise<void>;
    listObjects(bucket: string, options: { maxKeys: number }): Promise<{ objects: unknown[] }>;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    readonly store: FilesystemStore;
    readonly logger: { close(): void };
    /** The Koa app's request listener. */
    callback(): RequestListener;
  }
}
