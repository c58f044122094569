import { describe, expect, it } from "vitest";
import { outsidersMayCall, s3OperationOf } from "./operations.ts";

const operationOf = (method: string, target: string) => {
  const url = new URL(target, "http://local");
  return s3OperationOf({ method, path: url.pathname, query: url.searchParams });
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
