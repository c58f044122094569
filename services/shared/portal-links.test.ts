import { describe, expect, it } from "vitest";
import { approvalsPageUrl, requestPageUrl } from "./portal-links.ts";

const PORTAL = "https://approvals.example.com";

describe("links to the portal", () => {
  it("opens a request's page, its id kept whole whatever it holds", () => {
    expect(requestPageUrl(PORTAL, "r-1/../x?y")).toBe(`${PORTAL}/requests/r-1%2F..%2Fx%3Fy`);
  });

  it("opens a request's page at its extend or release dialog", () => {
    expect(requestPageUrl(PORTAL, "r-1", "extend")).toBe(`${PORTAL}/requests/r-1?action=extend`);
    expect(requestPageUrl(PORTAL, "r-1", "release")).toBe(`${PORTAL}/requests/r-1?action=release`);
  });

  it("opens the Approvals page", () => {
    expect(approvalsPageUrl(PORTAL)).toBe(`${PORTAL}/approvals`);
  });
});
