import { describe, expect, it } from "vitest";
import { canonicalEmail } from "./canonical-email.ts";

describe("canonicalEmail: one string per mailbox", () => {
  it.each([
    ["any case", "Approver@Example.COM", "approver@example.com"],
    ["plus-addressing, cut at the first '+'", "approver+me+again@example.com", "approver@example.com"],
    ["surrounding spaces", "  approver@example.com ", "approver@example.com"],
    ["Gmail's dots, which Gmail ignores", "A.p.p.r.o.v.e.r@gmail.com", "approver@gmail.com"],
    ["Gmail's other domain", "appr.over+x@GoogleMail.com", "approver@gmail.com"],
  ])("folds %s", (_case, spelled, canonical) => {
    expect(canonicalEmail(spelled)).toBe(canonical);
  });

  it("keeps dots elsewhere: a.b@ and ab@ may be two people", () => {
    expect(canonicalEmail("a.b@corp.example")).toBe("a.b@corp.example");
    expect(canonicalEmail("a.b@corp.example")).not.toBe(canonicalEmail("ab@corp.example"));
  });

  it("folds dots only under Gmail's own domains, not under a domain beneath them", () => {
    expect(canonicalEmail("a.na@mail.gmail.com")).toBe("a.na@mail.gmail.com");
  });

  it("tells different mailboxes apart", () => {
    expect(canonicalEmail("approver@example.com")).not.toBe(canonicalEmail("approver2@example.com"));
    expect(canonicalEmail("approver@example.com")).not.toBe(canonicalEmail("approver@example.org"));
  });

  it("takes the domain after the last '@', as a quoted local part may hold one", () => {
    expect(canonicalEmail('"a@b"+x@Example.com')).toBe('"a@b"@example.com');
  });

  it("leaves a string that is no address only lower-cased", () => {
    expect(canonicalEmail("Not-An-Address")).toBe("not-an-address");
  });
});
