import { describe, expect, it } from "vitest";
import { approvalDeadline, selectApprovers } from "./domain.ts";

describe("selecting approvers", () => {
  it("asks every configured approver when the requester is not one of them", () => {
    expect(selectApprovers(["bob@example.com", "cy@example.com"], "ana@example.com")).toEqual([
      "bob@example.com",
      "cy@example.com",
    ]);
  });

  it("never asks the requester, whatever the case of either address", () => {
    expect(selectApprovers(["Ana@Example.com", "bob@example.com"], "ANA@example.COM")).toEqual([
      "bob@example.com",
    ]);
  });

  it.each([
    ["a plus-addressed requester", "approver+me@example.com", "approver@example.com"],
    ["a requester with dots Gmail ignores", "a.p.p.r.o.v.e.r@gmail.com", "approver@gmail.com"],
    ["an approver configured plus-addressed", "approver@example.com", "Approver+Requests@example.com"],
  ])("never asks the requester by another spelling of their address: %s", (_case, requester, approver) => {
    expect(selectApprovers([approver, "bob@example.com"], requester)).toEqual(["bob@example.com"]);
  });

  it("asks an approver whose address differs from the requester's only by a dot outside Gmail", () => {
    expect(selectApprovers(["a.b@corp.example"], "ab@corp.example")).toEqual(["a.b@corp.example"]);
  });

  it("leaves nobody when the requester is the only approver", () => {
    expect(selectApprovers(["ana@example.com"], "Ana@example.com")).toEqual([]);
  });

  it("asks an approver listed twice once", () => {
    expect(selectApprovers(["bob@example.com", "BOB@example.com"], "ana@example.com")).toEqual([
      "bob@example.com",
    ]);
  });
});

describe("the approval deadline", () => {
  it("is the time to live after now, in whole seconds", () => {
    expect(approvalDeadline(new Date("2026-03-01T10:00:00.750Z"), 3600)).toEqual(
      new Date("2026-03-01T11:00:00.000Z"),
    );
  });
});
