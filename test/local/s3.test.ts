import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BucketLocationConstraint,
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OUTSIDE_PRINCIPAL, type Principal } from "../../infra/local/edge/principals.ts";
import { signedFetch } from "../../infra/local/edge/signature.ts";
import {
  bucketSettingsOf,
  type LocalS3AtEdge,
  startLocalS3AtEdge,
} from "../../infra/local/s3/testing/local-s3.ts";
import { TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";

const REGION = "eu-west-1";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

let dataDir: string;
let stack: LocalS3AtEdge | undefined;

const running = () => {
  if (!stack) throw new Error("start the stack first");
  return stack;
};

/** Stops the stack and starts it again on the same data directory. */
const restartStack = async () => {
  const stopped = running();
  stack = undefined;
  await stopped.close();
  stack = await startLocalS3AtEdge(dataDir);
};

/** A request exactly as written, path and body untouched by an SDK, signed as `principal` for S3 in REGION. */
const rawS3 = (principal: Principal, method: string, target: string, body = "") =>
  signedFetch(
    principal,
    new URL(target, running().url),
    {
      method,
      headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") },
      ...(body && { body }),
    },
    { region: REGION, service: "s3" },
  );

/** Every file and directory under DATA_DIR whose name contains `fragment`, wherever it is. */
const filesNamed = async (fragment: string) =>
  (await readdir(dataDir, { recursive: true })).filter((path) => path.includes(fragment));

const clientAs = (principal: Principal, region = REGION) => running().clientAs(principal, region);

const createIn = (
  client: S3Client,
  bucket: string,
  region: BucketLocationConstraint | "us-east-1" = REGION,
) =>
  client.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region } }),
    }),
  );

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "s3-sdk-"));
  stack = await startLocalS3AtEdge(dataDir);
});

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe("buckets through @aws-sdk/client-s3 at the local edge", () => {
  it("creates a bucket in eu-west-1 that says where it is and lists among its owner's buckets only", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "approvals-data");

    await expect(services.send(new HeadBucketCommand({ Bucket: "approvals-data" }))).resolves.toMatchObject({
      BucketRegion: REGION,
    });
    await expect(
      services.send(new GetBucketLocationCommand({ Bucket: "approvals-data" })),
    ).resolves.toMatchObject({
      LocationConstraint: REGION,
    });
    const listed = await services.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map(({ Name, BucketRegion }) => ({ Name, BucketRegion }))).toEqual([
      { Name: "approvals-data", BucketRegion: REGION },
    ]);
    const outsiders = await clientAs(OUTSIDE_PRINCIPAL).send(new ListBucketsCommand({}));
    expect(outsiders.Buckets ?? []).toEqual([]);
  });

  it("answers an empty location for a bucket in us-east-1, which takes no LocationConstraint", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL, "us-east-1");
    await createIn(services, "in-virginia", "us-east-1");

    const location = await services.send(new GetBucketLocationCommand({ Bucket: "in-virginia" }));

    expect(location.LocationConstraint ?? "").toBe("");
  });

  it("reads every setting back as it was put", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "settings-kept";
    await createIn(services, Bucket);
    const block = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    const tags = [
      { Key: "RequestId", Value: "req-1" },
      { Key: "Requester", Value: "ada@example.com" },
    ];

    await services.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: block }));
    await services.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true },
          ],
        },
      }),
    );
    await services.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    await services.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "expire",
              Status: "Enabled",
              Filter: { Prefix: "" },
              Expiration: { Days: 30 },
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            },
          ],
        },
      }),
    );
    await services.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
    await services.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tags } }));

    expect(await bucketSettingsOf(services, Bucket)).toEqual({
      location: REGION,
      publicAccessBlock: block,
      encryptionRules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true },
      ],
      versioning: "Enabled",
      lifecycleRules: [
        {
          ID: "expire",
          Status: "Enabled",
          Filter: { Prefix: "" },
          Expiration: { Days: 30 },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
      ],
      policy: JSON.parse(policy),
      tags,
    });
  });

  it("answers settings never put as S3 does, and forgets deleted ones", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "settings-absent";
    await createIn(services, Bucket);

    const encryption = await services.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: "AES256",
    });
    expect((await services.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
    await expect(services.send(new GetPublicAccessBlockCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchPublicAccessBlockConfiguration",
    });
    await expect(services.send(new GetBucketPolicyCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchBucketPolicy",
    });
    await expect(services.send(new GetBucketTaggingCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchTagSet",
    });
    await expect(services.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).rejects.toMatchObject(
      {
        name: "NoSuchLifecycleConfiguration",
      },
    );

    await services.send(
      new PutBucketPolicyCommand({ Bucket, Policy: '{"Version":"2012-10-17","Statement":[]}' }),
    );
    await services.send(new DeleteBucketPolicyCommand({ Bucket }));
    await services.send(
      new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true } }),
    );
    await services.send(new DeletePublicAccessBlockCommand({ Bucket }));

    await expect(services.send(new GetBucketPolicyCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchBucketPolicy",
    });
    await expect(services.send(new GetPublicAccessBlockCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchPublicAccessBlockConfiguration",
    });
  });

  it("refuses a policy that is not JSON and a versioning status S3 does not know", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "settings-refused";
    await createIn(services, Bucket);

    await expect(
      services.send(new PutBucketPolicyCommand({ Bucket, Policy: "not json" })),
    ).rejects.toMatchObject({
      name: "MalformedPolicy",
    });
    await expect(
      services.send(
        new PutBucketVersioningCommand({
          Bucket,
          VersioningConfiguration: { Status: "On" as "Enabled" },
        }),
      ),
    ).rejects.toMatchObject({ name: "MalformedXML" });
  });

  it("keeps buckets and their settings across a restart", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "survives-restart");
    await services.send(
      new PutBucketVersioningCommand({
        Bucket: "survives-restart",
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
    await services.send(new PutObjectCommand({ Bucket: "survives-restart", Key: "kept.txt", Body: "kept" }));

    await restartStack();
    const again = clientAs(TEST_SERVICES_PRINCIPAL);

    await expect(
      again.send(new GetBucketVersioningCommand({ Bucket: "survives-restart" })),
    ).resolves.toMatchObject({ Status: "Enabled" });
    const object = await again.send(new GetObjectCommand({ Bucket: "survives-restart", Key: "kept.txt" }));
    expect(await object.Body?.transformToString()).toBe("kept");
  });

  it("deletes an empty bucket only", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "to-delete");
    await services.send(new PutObjectCommand({ Bucket: "to-delete", Key: "a", Body: "a" }));

    await expect(services.send(new DeleteBucketCommand({ Bucket: "to-delete" }))).rejects.toMatchObject({
      name: "BucketNotEmpty",
    });
    await services.send(new DeleteObjectCommand({ Bucket: "to-delete", Key: "a" }));
    await services.send(new DeleteBucketCommand({ Bucket: "to-delete" }));

    await expect(services.send(new HeadBucketCommand({ Bucket: "to-delete" }))).rejects.toMatchObject({
      name: "NotFound",
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe("object versions through @aws-sdk/client-s3 at the local edge", () => {
  it("lists each object as its one version, latest, page by page, as S3 lists a bucket never versioned", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "versions-listed";
    await createIn(services, Bucket);
    const empty = await services.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1 }));
    expect(empty.IsTruncated).toBe(false);
    expect(empty.Versions ?? []).toEqual([]);
    for (const Key of ["a.txt", "b.txt"])
      await services.send(new PutObjectCommand({ Bucket, Key, Body: Key }));

    const first = await services.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1 }));
    const rest = await services.send(
      new ListObjectVersionsCommand({ Bucket, MaxKeys: 1, KeyMarker: first.NextKeyMarker }),
    );

    expect(first).toMatchObject({
      IsTruncated: true,
      NextKeyMarker: "a.txt",
      Versions: [{ Key: "a.txt", VersionId: "null", IsLatest: true, Size: 5 }],
    });
    expect(rest).toMatchObject({ IsTruncated: false, Versions: [{ Key: "b.txt" }] });
    expect(rest.DeleteMarkers).toBeUndefined();
  });
});

describe("objects through @aws-sdk/client-s3 at the local edge", () => {
  it("puts, gets, heads, lists and deletes an object, naming the bucket's default encryption", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "objects-kept";
    await createIn(services, Bucket);

    const put = await services.send(
      new PutObjectCommand({ Bucket, Key: "reports/q1.csv", Body: "a,b\n1,2\n", ContentType: "text/csv" }),
    );
    expect(put.ServerSideEncryption).toBe("AES256");

    const got = await services.send(new GetObjectCommand({ Bucket, Key: "reports/q1.csv" }));
    expect(await got.Body?.transformToString()).toBe("a,b\n1,2\n");
    expect(got).toMatchObject({ ContentType: "text/csv", ServerSideEncryption: "AES256" });
    await expect(
      services.send(new HeadObjectCommand({ Bucket, Key: "reports/q1.csv" })),
    ).resolves.toMatchObject({
      ContentLength: 8,
    });
    const listed = await services.send(new ListObjectsV2Command({ Bucket, Prefix: "reports/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["reports/q1.csv"]);

    await services.send(new DeleteObjectCommand({ Bucket, Key: "reports/q1.csv" }));
    await expect(
      services.send(new GetObjectCommand({ Bucket, Key: "reports/q1.csv" })),
    ).rejects.toMatchObject({
      name: "NoSuchKey",
    });
  });

  it("names the bucket's chosen default encryption on its objects", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const Bucket = "objects-kms";
    await createIn(services, Bucket);
    await services.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }],
        },
      }),
    );

    await services.send(new PutObjectCommand({ Bucket, Key: "k", Body: "v" }));

    await expect(services.send(new HeadObjectCommand({ Bucket, Key: "k" }))).resolves.toMatchObject({
      ServerSideEncryption: "aws:kms",
    });
  });

  it("lets the outside principal put and get objects in the stack's bucket, but not change the bucket", async () => {
    const Bucket = "shared-with-requester";
    await createIn(clientAs(TEST_SERVICES_PRINCIPAL), Bucket);
    const outsider = clientAs(OUTSIDE_PRINCIPAL);

    await outsider.send(new PutObjectCommand({ Bucket, Key: "from-outside.txt", Body: "hello" }));
    const got = await outsider.send(new GetObjectCommand({ Bucket, Key: "from-outside.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello");

    await expect(
      outsider.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Suspended" } }),
      ),
    ).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(outsider.send(new DeleteBucketCommand({ Bucket }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
  });

  it("refuses object calls to a bucket that does not exist", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);

    await expect(
      services.send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "k", Body: "v" })),
    ).rejects.toMatchObject({
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe("S3's refusals at the local edge", () => {
  it("answers BucketAlreadyOwnedByYou to the owner outside us-east-1 and BucketAlreadyExists to anyone else", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "taken-name");

    await expect(createIn(services, "taken-name")).rejects.toMatchObject({
      name: "BucketAlreadyOwnedByYou",
      $metadata: { httpStatusCode: 409 },
    });
    await expect(createIn(clientAs(OUTSIDE_PRINCIPAL), "taken-name")).rejects.toMatchObject({
      name: "BucketAlreadyExists",
      $metadata: { httpStatusCode: 409 },
    });
  });

  it("answers the owner's second CreateBucket in us-east-1 with success, as S3 does for legacy callers", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL, "us-east-1");
    await createIn(services, "legacy-name", "us-east-1");

    await expect(createIn(services, "legacy-name", "us-east-1")).resolves.toBeDefined();
    await expect(
      createIn(clientAs(OUTSIDE_PRINCIPAL, "us-east-1"), "legacy-name", "us-east-1"),
    ).rejects.toMatchObject({ name: "BucketAlreadyExists" });
  });

  it("lets only one of two simultaneous creations of a name succeed", async () => {
    const results = await Promise.allSettled([
      createIn(clientAs(TEST_SERVICES_PRINCIPAL), "raced-name"),
      createIn(clientAs(OUTSIDE_PRINCIPAL), "raced-name"),
    ]);

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(results.find((result) => result.status === "rejected")).toMatchObject({
      reason: { name: "BucketAlreadyExists" },
    });
  });

  it("refuses a LocationConstraint other than the signing region, and none outside us-east-1", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);

    await expect(createIn(services, "elsewhere", "eu-central-1")).rejects.toMatchObject({
      name: "IllegalLocationConstraintException",
      $metadata: { httpStatusCode: 400 },
    });
    // The SDK fills in its own region as the constraint: only a raw request can leave it out.
    const unconstrained = await signedFetch(
      TEST_SERVICES_PRINCIPAL,
      new URL("/unconstrained", running().url),
      { method: "PUT", headers: { "x-amz-content-sha256": EMPTY_SHA256 } },
      { region: REGION, service: "s3" },
    );
    expect(unconstrained.status).toBe(400);
    expect(await unconstrained.text()).toContain("<Code>IllegalLocationConstraintException</Code>");
  });

  it("refuses calls to a bucket signed for another region than its own, naming its region", async () => {
    await createIn(clientAs(TEST_SERVICES_PRINCIPAL), "irish-bucket");
    const inVirginia = clientAs(TEST_SERVICES_PRINCIPAL, "us-east-1");

    await expect(
      inVirginia.send(new GetObjectCommand({ Bucket: "irish-bucket", Key: "k" })),
    ).rejects.toMatchObject({
      name: "AuthorizationHeaderMalformed",
      Region: REGION,
    });
    await expect(
      inVirginia.send(new GetBucketLocationCommand({ Bucket: "irish-bucket" })),
    ).resolves.toMatchObject({
      LocationConstraint: REGION,
    });
  });

  it("refuses a wrong secret and an unknown key with S3's own codes", async () => {
    const wrongSecret = clientAs({ ...OUTSIDE_PRINCIPAL, secretAccessKey: "not-the-secret" });
    const unknownKey = clientAs({ ...OUTSIDE_PRINCIPAL, accessKeyId: "AKIAUNKNOWNKEY000000" });

    await expect(wrongSecret.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(unknownKey.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it.each([
    ["ab", "3 to 63 characters"],
    ["Upper-Case", "lowercase letters"],
    ["-leading-hyphen", "begin and end"],
    ["192.168.5.4", "IP address"],
    ["xn--punycode", "reserves"],
  ])("refuses the bucket name %s as InvalidBucketName (%s)", async (Bucket, rule) => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);

    const refused = services.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );

    await expect(refused).rejects.toMatchObject({
      name: "InvalidBucketName",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(refused).rejects.toThrow(rule);
  });
});

describe("names the local S3 would follow out of a bucket's directory", () => {
  it("refuses a key with '..' segments, writing nothing outside the bucket", async () => {
    await createIn(clientAs(TEST_SERVICES_PRINCIPAL), "mybucket");

    const refused = await rawS3(OUTSIDE_PRINCIPAL, "PUT", "/mybucket/..%2F..%2F..%2Fescaped", "outside");

    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("<Code>InvalidArgument</Code>");
    expect(await filesNamed("escaped")).toEqual([]);
  });

  it("refuses an upload part whose upload id is a path, writing nothing", async () => {
    await createIn(clientAs(TEST_SERVICES_PRINCIPAL), "mybucket");

    const refused = await rawS3(
      OUTSIDE_PRINCIPAL,
      "PUT",
      "/mybucket/k?partNumber=1&uploadId=..%2F..%2F..%2F..%2Fescaped-upload",
      "part",
    );

    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain("<Code>NoSuchUpload</Code>");
    expect(await filesNamed("escaped")).toEqual([]);
  });

  it.each([
    ["as written", "../victim/precious.txt"],
    ["as character references", "&#46;&#46;/victim/precious.txt"],
  ])("deletes no other bucket's object named by a DeleteObjects key with '..' %s", async (_, key) => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "mybucket");
    await createIn(services, "victim");
    await services.send(new PutObjectCommand({ Bucket: "victim", Key: "precious.txt", Body: "kept" }));

    await rawS3(
      OUTSIDE_PRINCIPAL,
      "POST",
      "/mybucket?delete",
      `<Delete><Object><Key>${key}</Key></Object></Delete>`,
    );

    const kept = await services.send(new GetObjectCommand({ Bucket: "victim", Key: "precious.txt" }));
    expect(await kept.Body?.transformToString()).toBe("kept");
  });

  it("refuses a DeleteObjects key with '..' segments as an invalid argument, and deletes the keys it takes", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "mybucket");
    // Through the SDK: S3 signs a key of reserved characters with its path encoded once, as the edge checks it.
    await services.send(new PutObjectCommand({ Bucket: "mybucket", Key: "a & b.txt", Body: "gone" }));

    const refused = await rawS3(
      OUTSIDE_PRINCIPAL,
      "POST",
      "/mybucket?delete",
      "<Delete><Object><Key>../victim/precious.txt</Key></Object></Delete>",
    );
    const deleted = await rawS3(
      OUTSIDE_PRINCIPAL,
      "POST",
      "/mybucket?delete",
      "<Delete><Object><Key>a &amp; b.txt</Key></Object></Delete>",
    );

    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("<Code>InvalidArgument</Code>");
    expect(deleted.status).toBe(200);
    expect((await rawS3(TEST_SERVICES_PRINCIPAL, "GET", "/mybucket/a%20%26%20b.txt")).status).toBe(404);
  });

  it("refuses CopyObject as not implemented, copying nothing from another bucket", async () => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    await createIn(services, "mybucket");
    await createIn(services, "private-bucket");
    await services.send(
      new PutObjectCommand({ Bucket: "private-bucket", Key: "secret.txt", Body: "secret" }),
    );
    const outsider = clientAs(OUTSIDE_PRINCIPAL);

    await expect(
      outsider.send(
        new CopyObjectCommand({
          Bucket: "mybucket",
          Key: "copy.txt",
          CopySource: "private-bucket/secret.txt",
        }),
      ),
    ).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
    await expect(
      outsider.send(new GetObjectCommand({ Bucket: "mybucket", Key: "copy.txt" })),
    ).rejects.toMatchObject({ name: "NoSuchKey" });
  });
});

describe("another principal's bucket, as another account's on S3", () => {
  const settingReads = [
    ["GetBucketTagging", (Bucket: string) => new GetBucketTaggingCommand({ Bucket })],
    ["GetBucketPolicy", (Bucket: string) => new GetBucketPolicyCommand({ Bucket })],
    ["GetBucketEncryption", (Bucket: string) => new GetBucketEncryptionCommand({ Bucket })],
    ["GetBucketVersioning", (Bucket: string) => new GetBucketVersioningCommand({ Bucket })],
    [
      "GetBucketLifecycleConfiguration",
      (Bucket: string) => new GetBucketLifecycleConfigurationCommand({ Bucket }),
    ],
    ["GetPublicAccessBlock", (Bucket: string) => new GetPublicAccessBlockCommand({ Bucket })],
    ["GetBucketLocation", (Bucket: string) => new GetBucketLocationCommand({ Bucket })],
  ] as const;

  it.each(settingReads)("answers %s by anyone but the owner with AccessDenied", async (_, command) => {
    const services = clientAs(TEST_SERVICES_PRINCIPAL);
    const outsider = clientAs(OUTSIDE_PRINCIPAL);
    await createIn(services, "the-stacks");
    await createIn(outsider, "the-outsiders");

    // biome-ignore lint/suspicious/noExplicitAny: each command of the table is sent the same way.
    const send = (client: S3Client, bucket: string) => client.send(command(bucket) as any);

    await expect(send(outsider, "the-stacks")).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(send(services, "the-outsiders")).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("keeps changing another's bucket settings from the stack's services too", async () => {
    const outsider = clientAs(OUTSIDE_PRINCIPAL);
    await createIn(outsider, "the-outsiders");

    await expect(
      clientAs(TEST_SERVICES_PRINCIPAL).send(
        new PutBucketTaggingCommand({
          Bucket: "the-outsiders",
          Tagging: { TagSet: [{ Key: "k", Value: "v" }] },
        }),
      ),
    ).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(
      clientAs(TEST_SERVICES_PRINCIPAL).send(new DeleteBucketCommand({ Bucket: "the-outsiders" })),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(
      outsider.send(new GetBucketTaggingCommand({ Bucket: "the-outsiders" })),
    ).rejects.toMatchObject({
      name: "NoSuchTagSet",
    });
  });
});
