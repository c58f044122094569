import { describe, expect, it } from "vitest";
import { resourceSchema } from "./request.ts";
import { s3ResourceSchema } from "./s3-resource.ts";
import { fieldErrorsOf } from "./validation.ts";

const bucket = (fields: Record<string, unknown> = {}) => ({ type: "s3", bucketName: "team-logs", ...fields });

const messagesFor = (bucketName: string) => {
  const result = resourceSchema.safeParse(bucket({ bucketName }));
  return result.error ? fieldErrorsOf(result.error).map(({ field, message }) => `${field} ${message}`) : [];
};

describe("an S3 resource", () => {
  it("is versioned and encrypted with S3's own keys unless the request says otherwise", () => {
    expect(s3ResourceSchema.parse(bucket())).toEqual({ ...bucket(), versioning: true, encryption: "sse-s3" });
  });

  it.each(["abc", "team.logs-2026", "a".repeat(63), "0-starts-with-a-digit"])(
    "accepts the name %s",
    (name) => {
      expect(messagesFor(name)).toEqual([]);
    },
  );

  it.each([
    ["ab", "bucketName must be 3 to 63 characters long"],
    ["a".repeat(64), "bucketName must be 3 to 63 characters long"],
    ["team-Logs", "bucketName must hold only lowercase letters, digits, periods and hyphens"],
    ["team_logs", "bucketName must hold only lowercase letters, digits, periods and hyphens"],
    ["-team-logs", "bucketName must begin and end with a lowercase letter or a digit"],
    ["team-logs.", "bucketName must begin and end with a lowercase letter or a digit"],
    ["team..logs", "bucketName must not hold two periods in a row"],
    ["192.168.5.4", "bucketName must not be formatted as an IP address"],
    ["xn--team-logs", "bucketName must not begin with xn--, sthree-, amzn-s3-demo-, which S3 reserves"],
    [
      "team-logs-s3alias",
      "bucketName must not end with -s3alias, --ol-s3, .mrap, --x-s3, --table-s3, which S3 reserves",
    ],
  ])("refuses the name %s, naming the rule", (name, message) => {
    expect(messagesFor(name)).toEqual([message]);
  });

  it("names every rule a name breaks", () => {
    expect(messagesFor("-A..")).toEqual([
      "bucketName must hold only lowercase letters, digits, periods and hyphens",
      "bucketName must begin and end with a lowercase letter or a digit",
      "bucketName must not hold two periods in a row",
    ]);
  });

  it.each([
    [{ encryption: "aes" }, "encryption", "must be one of sse-s3, sse-kms"],
    [{ versioning: "on" }, "versioning", "must be true or false"],
    [{ expireObjectsAfterDays: 0 }, "expireObjectsAfterDays", "must be at least 1"],
    [{ blockPublicAccess: false }, "blockPublicAccess", "is not a recognised field"],
  ])("refuses %j on %s", (fields, field, message) => {
    const result = resourceSchema.safeParse(bucket(fields));
    expect(result.error && fieldErrorsOf(result.error)).toEqual([{ field, message }]);
  });
});
