import { describe, expect, it } from "vitest";
import { outsidersMayCall, s3OperationOf } from "./operations.ts";

const operationOf = (method: string, target: string, headers: Record<string, string> = {}) => {
  const url = new URL(target, "http://local");
  return s3OperationOf({ method, path: url.pathname, query: url.searchParams, headers });
};

describe("s3OperationOf", () => {
  it.each([
    ["GET", "/", { kind: "ListBuckets" }],
    ["PUT", "/reports", { kind: "CreateBucket", bucket: "reports" }],
    ["HEAD", "/reports", { kind: "HeadBucket", bucket: "reports" }],
    ["DELETE", "/reports", { kind: "DeleteBucket", bucket: "reports" }],
    ["GET", "/reports?location", { kind: "GetBucketLocation", bucket: "reports" }],
    [
      "PUT",
      "/reports?publicAccessBlock",
      { kind: "setting", bucket: "reports", setting: "publicAccessBlock", action: "put" },
    ],
    [
      "GET",
      "/reports?encryption",
      { kind: "setting", bucket: "reports", setting: "encryption", action: "get" },
    ],
    [
      "DELETE",
      "/reports?policy",
      { kind: "setting", bucket: "reports", setting: "policy", action: "delete" },
    ],
    ["GET", "/reports?list-type=2&prefix=a", { kind: "object", bucket: "reports", write: false }],
    ["GET", "/reports?versions&max-keys=1", { kind: "ListObjectVersions", bucket: "reports" }],
    ["POST", "/reports?delete", { kind: "object", bucket: "reports", write: true }],
    ["PUT", "/reports/q1/data.csv", { kind: "object", bucket: "reports", key: "q1/data.csv", write: true }],
    [
      "GET",
      "/reports/q1/data.csv?tagging",
      { kind: "object", bucket: "reports", key: "q1/data.csv", write: false },
    ],
  ])("reads %s %s as S3 does", (method, target, operation) => {
    expect(operationOf(method, target)).toEqual(operation);
  });

  it("reads a trailing slash after the bucket as the bucket itself, not an object", () => {
    expect(operationOf("PUT", "/reports/")).toEqual({ kind: "CreateBucket", bucket: "reports" });
  });

  it("reads a key percent-decoded, as s3rver's router hands it on", () => {
    expect(operationOf("GET", "/reports/q1%2Fdata%20final.csv")).toEqual({
      kind: "object",
      bucket: "reports",
      key: "q1/data final.csv",
      write: false,
    });
  });

  it.each([
    "/mybucket/..%2F..%2F..%2Fescaped",
    "/mybucket/a/%2E%2E%2Fother-bucket%2Fkey",
    "/mybucket/.%2Fhere",
    "/mybucket/nul%00byte",
  ])("refuses the key of %s, which s3rver would store outside the bucket's directory", (target) => {
    expect(operationOf("PUT", target)).toMatchObject({
      kind: "invalid",
      status: 400,
      code: "InvalidArgument",
    });
  });

  it("refuses a path that is not percent-encoded UTF-8 as S3 does", () => {
    expect(operationOf("GET", "/mybucket/%E0%A4%A")).toMatchObject({ kind: "invalid", code: "InvalidURI" });
  });

  it("refuses CopyObject, whose source the edge does not check, as not implemented", () => {
    expect(
      operationOf("PUT", "/mybucket/copy.txt", { "x-amz-copy-source": "/other-bucket/secret.txt" }),
    ).toMatchObject({ kind: "unsupported", bucket: "mybucket" });
  });

  it.each([
    ["PUT", "/mybucket/k?partNumber=1&uploadId=..%2F..%2F..%2Fescaped", "NoSuchUpload"],
    ["POST", "/mybucket/k?uploadId=../..", "NoSuchUpload"],
    ["PUT", "/mybucket/k?partNumber=key&uploadId=0123456789abcdef0123456789abcdef", "InvalidArgument"],
    ["PUT", "/mybucket/k?partNumber=10001&uploadId=0123456789abcdef0123456789abcdef", "InvalidArgument"],
  ])(
    "refuses %s %s, whose upload id or part number s3rver would join into a path, with %s",
    (method, target, code) => {
      expect(operationOf(method, target)).toMatchObject({ kind: "invalid", code });
    },
  );

  it("takes an upload id and part number S3 could have made", () => {
    expect(
      operationOf("PUT", "/mybucket/k?partNumber=10000&uploadId=0123456789abcdef0123456789abcdef"),
    ).toMatchObject({ kind: "object", key: "k", write: true });
  });

  it("takes a bucket subresource it does not implement for what it is, not for a listing or a creation", () => {
    expect(operationOf("GET", "/reports?cors")).toMatchObject({ kind: "unsupported", bucket: "reports" });
    expect(operationOf("PUT", "/reports?website")).toMatchObject({ kind: "unsupported", bucket: "reports" });
  });
});

describe("outsidersMayCall", () => {
  it.each([
    ["PUT", "/reports/file.txt"],
    ["GET", "/reports/file.txt"],
    ["DELETE", "/reports/file.txt"],
    ["GET", "/reports?list-type=2"],
    ["GET", "/"],
    ["PUT", "/my-own-bucket"],
    ["HEAD", "/reports"],
    ["GET", "/reports?versioning"],
    ["GET", "/reports?location"],
  ])("lets an outside principal %s %s", (method, target) => {
    expect(outsidersMayCall(operationOf(method, target))).toBe(true);
  });

  it.each([
    ["PUT", "/reports?versioning"],
    ["PUT", "/reports?policy"],
    ["DELETE", "/reports?publicAccessBlock"],
    ["DELETE", "/reports"],
  ])("keeps %s %s for the stack's services", (method, target) => {
    expect(outsidersMayCall(operationOf(method, target))).toBe(false);
  });
});
