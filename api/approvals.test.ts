import { describe, expect, it } from "vitest";
import { linkFragmentOf, linkTokenOfFragment } from "./approvals.ts";

describe("a decision link's fragment, where decisions require sign-in", () => {
  const TOKEN = "v1.req-1.Ym9iQGV4YW1wbGUuY29t.1772445600.AQEBAQEBAQEBAQEBAQEBAQ.mac";

  it("carries the action and the whole token, dots included, and reads back the same", () => {
    const fragment = linkFragmentOf({ action: "reject", token: TOKEN });

    expect(fragment).toBe(`reject.${TOKEN}`);
    expect(linkTokenOfFragment(`#${fragment}`)).toEqual({ action: "reject", token: TOKEN });
    expect(linkTokenOfFragment(fragment)).toEqual({ action: "reject", token: TOKEN });
  });

  it.each([
    ["no fragment", ""],
    ["no token", "#approve."],
    ["no action", `#${TOKEN.replace(/^v1/, "")}`],
    ["an unknown action", `#launch.${TOKEN}`],
  ])("holds no link with %s", (_case, fragment) => {
    expect(linkTokenOfFragment(fragment)).toBeUndefined();
  });
});
