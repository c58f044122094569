import { z } from "zod";
import { mustBe, oneOf, ruleIssues, wholeNumberSchema } from "./fields.ts";

export const S3_ENCRYPTIONS = ["sse-s3", "sse-kms"] as const;
export type S3Encryption = (typeof S3_ENCRYPTIONS)[number];

/** Lifecycle expiration takes a positive number of days; a century is as far as a request may look. */
export const S3_EXPIRATION_DAYS = { min: 1, max: 36500 } as const;

const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;

/**
 * S3's naming rules for general purpose buckets, each said on its own
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export const BUCKET_NAME_RULES = [
  {
    rule: "must be 3 to 63 characters long",
    broken: (name: string) => name.length < 3 || name.length > 63,
  },
  {
    rule: "must hold only lowercase letters, digits, periods and hyphens",
    broken: (name: string) => !/^[a-z0-9.-]*$/.test(name),
  },
  {
    rule: "must begin and end with a lowercase letter or a digit",
    broken: (name: string) => !/^[a-z0-9](?:.*[a-z0-9])?$/.test(name),
  },
  { rule: "must not hold two periods in a row", broken: (name: string) => name.includes("..") },
  { rule: "must not be formatted as an IP address", broken: (name: string) => IP_ADDRESS.test(name) },
  {
    rule: `must not begin with ${RESERVED_PREFIXES.join(", ")}, which S3 reserves`,
    broken: (name: string) => RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix)),
  },
  {
    rule: `must not end with ${RESERVED_SUFFIXES.join(", ")}, which S3 reserves`,
    broken: (name: string) => RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix)),
  },
] as const;

/**
 * A bucket: its public access is always blocked and its policy refuses requests without TLS, so
 * neither is a field a request could turn off.
 */
export const s3ResourceSchema = z.strictObject({
  type: z.literal("s3", mustBe("s3")),
  bucketName: z
    .string(mustBe("a string"))
    .superRefine((name, context) => ruleIssues(name, BUCKET_NAME_RULES, context)),
  versioning: z.boolean(mustBe("true or false")).default(true),
  encryption: z.enum(S3_ENCRYPTIONS, oneOf(S3_ENCRYPTIONS)).default("sse-s3"),
  expireObjectsAfterDays: wholeNumberSchema(S3_EXPIRATION_DAYS.min, S3_EXPIRATION_DAYS.max).optional(),
});

export type S3Resource = z.output<typeof s3ResourceSchema>;
