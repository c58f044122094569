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
