import { describe, expect, it } from "vitest";
import { allowedHostsOf, isAllowedHost } from "./host-check.ts";

describe("the hosts a local server answers to", () => {
  const allowed = allowedHostsOf("http://approvals.internal.test:8080");

  it.each([
    "localhost",
    "localhost:3000",
    "127.0.0.1:4566",
    "[::1]:3000",
    "[::1]",
    "approvals.internal.test",
    "approvals.internal.test:3000",
    "Approvals.Internal.Test:8080",
  ])("include %s", (host) => {
    expect(isAllowedHost(host, allowed)).toBe(true);
  });

  it.each([
    ["another site's name", "rebind.example:3000"],
    ["a subdomain of an allowed name", "localhost.rebind.example"],
    ["a user part hiding another host", "localhost:3000@rebind.example"],
    ["another loopback address", "127.0.0.2:3000"],
    ["another IPv6 address", "[::2]:3000"],
    ["a malformed host", "local host:3000"],
    ["an empty Host", ""],
    ["no Host at all", undefined],
  ])("exclude %s", (_, host) => {
    expect(isAllowedHost(host, allowed)).toBe(false);
  });

  it("are loopback's alone when the stack has no PUBLIC_URL", () => {
    expect([...allowedHostsOf()]).toEqual(["localhost", "127.0.0.1", "[::1]"]);
  });
});
