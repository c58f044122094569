import { describe, expect, it } from "vitest";
import { checkWindow, DelegationRefusedError, type DelegationWindow, withWindow } from "./domain.ts";

const NOW = new Date("2026-12-07T12:00:00.000Z");
const AVERY = "avery@example.com";
const DANA = "dana@example.com";

const window = (from: string, to: string, delegate = DANA): DelegationWindow => ({
  from: `2026-12-${from}:00:00.000Z`,
  to: `2026-12-${to}:00:00.000Z`,
  delegate,
});

const refusalOf = (check: () => void) => {
  try {
    check();
  } catch (error) {
    if (error instanceof DelegationRefusedError) return { field: error.field, problem: error.problem };
    throw error;
  }
  return undefined;
};

const check = (asked: DelegationWindow, delegateWindows: DelegationWindow[] = [], approver = AVERY) =>
  refusalOf(() =>
    checkWindow({
      approver,
      window: asked,
      now: NOW,
      delegateDelegations:
        delegateWindows.length > 0
          ? { approver: asked.delegate, windows: delegateWindows, changedAt: NOW.toISOString() }
          : undefined,
    }),
  );

describe("a window an approver sets", () => {
  it("is accepted from now on, or from the past, as long as it ends in the future", () => {
    expect(check(window("08T09", "15T09"))).toBeUndefined();
    expect(check(window("01T09", "08T09"))).toBeUndefined();
  });

  it("must end after it starts, naming to", () => {
    expect(check(window("10T09", "10T09"))).toEqual({ field: "to", problem: "must be after from" });
  });

  it("must end in the future, naming to", () => {
    expect(check(window("01T09", "07T12"))).toEqual({ field: "to", problem: "must be in the future" });
  });

  it("names someone else as delegate, whatever the case or +tag of the address", () => {
    expect(check(window("08T09", "15T09", "Avery+away@Example.com"))).toEqual({
      field: "delegate",
      problem: "must be someone other than you",
    });
  });

  it("refuses a delegate away themselves at any time in it, so delegations never chain or cycle", () => {
    const danaAway = window("14T09", "20T09", AVERY);

    expect(check(window("08T09", "15T09"), [danaAway])).toEqual({
      field: "delegate",
      problem: expect.stringContaining("is away themselves from 2026-12-14T09:00:00.000Z"),
    });
    expect(check(window("08T09", "14T09"), [danaAway])).toBeUndefined();
  });
});

describe("the windows once one is set", () => {
  it("replaces those it overlaps, drops those that ended, and keeps the rest oldest first", () => {
    const ended = window("01T09", "02T09");
    const later = window("20T09", "24T09");
    const overlapped = window("09T09", "11T09", "old@example.com");

    expect(withWindow([ended, later, overlapped], window("08T09", "10T09"), NOW)).toEqual([
      window("08T09", "10T09"),
      later,
    ]);
  });
});
