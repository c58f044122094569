import { describe, expect, it } from "vitest";
import { csvCell, requestsToCsv } from "./csv.ts";

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
      "req-1,PROVISIONED,ana@example.com,Ana,t3.micro,amazon-linux-2023,,20,gp3,,2025-06-01T12:00:00.000Z,APPROVED,approver@example.com,,2025-06-01T12:05:00.000Z,i-0123456789abcdef0,,2025-06-01T12:06:00.000Z",
    );
    expect(end).toBe("");
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
