import { describe, expect, it } from "vitest";
import {
  expiresAtValueOf,
  nextReleaseCheck,
  releaseOutcomeEffect,
  startsNewRelease,
} from "./release-checks.ts";

const ASKED_AT = "2030-01-08T10:00:00.000Z";
const LATER = "2030-01-09T10:00:00.000Z";

describe("a ReleaseRequested, against the release a launcher recorded", () => {
  it("starts the first release when none is recorded", () => {
    expect(startsNewRelease(undefined, ASKED_AT)).toBe(true);
  });

  it("starts a new release when asked after the recorded one failed", () => {
    expect(startsNewRelease({ requestedAt: ASKED_AT, failedAt: ASKED_AT }, LATER)).toBe(true);
  });

  it("leaves the recorded one standing while it is under way, once it took, or when redelivered after it failed", () => {
    expect(startsNewRelease({ requestedAt: ASKED_AT }, LATER)).toBe(false);
    expect(startsNewRelease({ requestedAt: ASKED_AT, failedAt: LATER }, ASKED_AT)).toBe(false);
  });
});

describe("a release's one report", () => {
  it("keeps the first release's effect name, from before there could be more, and numbers the next ones", () => {
    expect(releaseOutcomeEffect({})).toBe("release-outcome");
    expect(releaseOutcomeEffect({ n: 1 })).toBe("release-outcome");
    expect(releaseOutcomeEffect({ n: 2 })).toBe("release-outcome-2");
  });
});

describe("the reaper's next check", () => {
  it("waits each delay in turn after acting, and has none once they are used up", () => {
    const now = new Date(ASKED_AT);

    expect(nextReleaseCheck("r-1", "s3", 0, [30_000, 60_000], now)).toEqual({
      requestId: "r-1",
      resourceType: "s3",
      attempt: 1,
      dueAt: "2030-01-08T10:00:30.000Z",
    });
    expect(nextReleaseCheck("r-1", "s3", 1, [30_000, 60_000], now)?.attempt).toBe(2);
    expect(nextReleaseCheck("r-1", "s3", 2, [30_000, 60_000], now)).toBeUndefined();
  });
});

describe("the ExpiresAt tag of a lease", () => {
  it("is the lease's end, or never for a lease with none", () => {
    expect(expiresAtValueOf("2030-01-08T10:00:00.000Z")).toBe("2030-01-08T10:00:00.000Z");
    expect(expiresAtValueOf(null)).toBe("never");
  });
});
