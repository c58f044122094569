import { S3 } from "@aws-sdk/client-s3";
import { TEST_SERVICES_PRINCIPAL } from "../../../../test/support/local-events.ts";
import { OUTSIDE_PRINCIPAL, type Principal } from "../../edge/principals.ts";
import { startEdge } from "../../edge/server.ts";
import { startLocalS3 } from "../s3-api.ts";

/**
 * The local S3 on `dataDir` behind a local edge that knows the stack's services and the outside
 * principal, as `npm start` serves it. `close` stops both and the clients made, and leaves `dataDir`:
 * starting again on it is a restart.
 */
export const startLocalS3AtEdge = async (dataDir: string) => {
  const s3 = await startLocalS3(dataDir);
  const edge = await startEdge({
    port: 0,
    services: { s3: s3.api },
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
  });
  const clients: S3[] = [];
  return {
    url: edge.url,
    /**
     * A real S3 client as the services and the README's users make it (the edge's URL, path-style), not
     * retrying; `S3` is the SDK's S3Client with a method per command, which reading settings back wants.
     */
    clientAs: (principal: Principal, region: string) => {
      const client = new S3({
        endpoint: edge.url,
        forcePathStyle: true,
        region,
        credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients.splice(0)) client.destroy();
      await edge.close();
      await s3.close();
    },
  };
};

export type LocalS3AtEdge = Awaited<ReturnType<typeof startLocalS3AtEdge>>;

/**
 * Every setting of `Bucket` as S3 answers it, one Get call each, for a bucket that has them all: S3
 * answers a Get of a setting never put with an error (NoSuchTagSet, NoSuchBucketPolicy, ...).
 */
export const bucketSettingsOf = async (client: S3, Bucket: string) => {
  const [location, publicAccessBlock, encryption, versioning, lifecycle, policy, tagging] = await Promise.all(
    [
      client.getBucketLocation({ Bucket }),
      client.getPublicAccessBlock({ Bucket }),
      client.getBucketEncryption({ Bucket }),
      client.getBucketVersioning({ Bucket }),
      client.getBucketLifecycleConfiguration({ Bucket }),
      client.getBucketPolicy({ Bucket }),
      client.getBucketTagging({ Bucket }),
    ],
  );
  return {
    location: location.LocationConstraint,
    publicAccessBlock: publicAccessBlock.PublicAccessBlockConfiguration,
    encryptionRules: encryption.ServerSideEncryptionConfiguration?.Rules,
    versioning: versioning.Status,
    lifecycleRules: lifecycle.Rules,
    /** Parsed: S3 keeps a policy's meaning, not its spacing. */
    policy: JSON.parse(policy.Policy ?? "null") as unknown,
    tags: tagging.TagSet,
  };
};
