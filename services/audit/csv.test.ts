import { describe, expect, it } from "vitest";
import { csvCell, requestsToCsv } from "./csv.ts";

describe("the requests CSV", () => {
  it("writes a header and one row per request, in column order", () => {
    const csv = requestsToCsv([
      {
        requestId: "req-1",
        status: "PROVISIONED",
        requester: { email: "ana@example.com", name: "Ana" },
        resource: { instanceType: "t3.micro", os: "amazon-linux-2023", volume: { sizeGiB: 20, type: "gp3" } },
        decision: { outcome: "APPROVED", approver: "approver@example.com" },
        instanceId: "i-0123456789abcdef0",
      },
    ]);

    const [header, row, end] = csv.split("\r\n");
    expect(header?.split(",").slice(0, 3)).toEqual(["requestId", "status", "requesterEmail"]);
    expect(row).toBe(
      "req-1,PROVISIONED,ana@example.com,Ana,t3.micro,amazon-linux-2023,,20,gp3,,,APPROVED,approver@example.com,,,i-0123456789abcdef0,,",
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
