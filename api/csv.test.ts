import { describe, expect, it } from "vitest";
import { csvCell, requestsToCsv } from "./csv.ts";
import type { RequestView } from "./schemas.ts";

const request = (view: Partial<RequestView>): RequestView => ({
  requestId: "req-1",
  status: "SUBMITTED",
  submittedAt: "2025-06-01T12:00:00.000Z",
  updatedAt: "2025-06-01T12:06:00.000Z",
  ...view,
});

/** The written cell of one column for one request, read back by its header. */
const cellOf = (view: RequestView, column: string) => {
  const [header = "", row = ""] = requestsToCsv([view]).split("\r\n");
  const index = header.split(",").indexOf(column);
  expect(index, `column ${column}`).toBeGreaterThanOrEqual(0);
  return row.split(",")[index];
};

describe("the requests CSV", () => {
  it("writes a header and one row per request, in column order", () => {
    const csv = requestsToCsv([
      {
        requestId: "req-1",
        status: "PROVISIONED",
        requester: { email: "ana@example.com", name: "Ana" },
        resource: {
          type: "ec2",
          instanceType: "t3.micro",
          os: "amazon-linux-2023",
          volume: { sizeGiB: 20, type: "gp3" },
        },
        submittedAt: "2025-06-01T12:00:00.000Z",
        decision: {
          outcome: "APPROVED",
          approver: "approver@example.com",
          decidedAt: "2025-06-01T12:05:00.000Z",
        },
        instanceId: "i-0123456789abcdef0",
        updatedAt: "2025-06-01T12:06:00.000Z",
      },
    ]);

    const [header, row, end] = csv.split("\r\n");
    expect(header?.split(",").slice(0, 3)).toEqual(["requestId", "status", "requesterEmail"]);
    expect(row).toBe(
      "req-1,PROVISIONED,ana@example.com,Ana,t3.micro,amazon-linux-2023,,20,gp3,,2025-06-01T12:00:00.000Z,APPROVED,approver@example.com,,2025-06-01T12:05:00.000Z,i-0123456789abcdef0,,,,2025-06-01T12:06:00.000Z",
    );
    expect(end).toBe("");
  });

  it("says why a request was rejected", () => {
    const rejected = request({
      status: "REJECTED",
      decision: {
        outcome: "REJECTED",
        approver: "approver@example.com",
        reason: "Too expensive",
        decidedAt: "2025-06-01T12:05:00.000Z",
      },
    });

    expect(cellOf(rejected, "decisionReason")).toBe("Too expensive");
  });

  it("says why a launch failed", () => {
    const failed = request({ status: "FAILED", failureReason: "Instance terminated before it ran" });

    expect(cellOf(failed, "failureReason")).toBe("Instance terminated before it ran");
  });

  it("says why a request is invalid, each field with its problem", () => {
    const invalid = request({
      status: "INVALID",
      fieldErrors: [
        { field: "requester.email", message: "must be an email address" },
        { field: "resource.os", message: "is required" },
        { field: "", message: "and 3 more problems" },
      ],
    });

    expect(cellOf(invalid, "invalidFields")).toBe(
      "requester.email must be an email address; resource.os is required; and 3 more problems",
    );
  });

  it("keeps reasons that a spreadsheet would run as formulas as text", () => {
    const hostile = request({
      status: "INVALID",
      failureReason: "=cmd|' /C calc'!A0",
      fieldErrors: [{ field: "@SUM(A1)", message: "is not a recognised field" }],
    });

    expect(cellOf(hostile, "failureReason")).toBe("'=cmd|' /C calc'!A0");
    expect(cellOf(hostile, "invalidFields")).toBe("'@SUM(A1) is not a recognised field");
  });

  it("quotes commas, quotes and line breaks", () => {
    expect(csvCell('a, "b"\nc')).toBe('"a, ""b""\nc"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(undefined)).toBe("");
  });

  it("keeps cells that a spreadsheet would run as formulas as text", () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
  });
});
