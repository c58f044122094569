import { describe, expect, it } from "vitest";
import {
  type Ec2EndAction,
  expiresAtTagOf,
  releaseCheckStep,
  releaseFailedProblem,
  stopsAgainWhenRunning,
} from "./release.ts";

describe("the ExpiresAt tag", () => {
  it("holds the lease's end as written, or `never` for a lease without one", () => {
    expect(expiresAtTagOf("2030-01-08T10:00:05.000Z")).toEqual({
      Key: "ExpiresAt",
      Value: "2030-01-08T10:00:05.000Z",
    });
    expect(expiresAtTagOf(null)).toEqual({ Key: "ExpiresAt", Value: "never" });
  });
});

describe("a check of a release", () => {
  const steps = (action: Ec2EndAction) =>
    Object.fromEntries(
      (["pending", "running", "stopping", "stopped", "shutting-down", "terminated", undefined] as const).map(
        (state) => [state ?? "unknown to EC2", releaseCheckStep(action, state)],
      ),
    );

  it("of a termination: done only once the instance is terminated or gone; a stopped one is terminated again", () => {
    expect(steps("terminate")).toEqual({
      pending: { kind: "act-again", state: "pending" },
      running: { kind: "act-again", state: "running" },
      stopping: { kind: "wait", state: "stopping" },
      stopped: { kind: "act-again", state: "stopped" },
      "shutting-down": { kind: "wait", state: "shutting-down" },
      terminated: { kind: "released", outcome: "terminated" },
      "unknown to EC2": { kind: "released", outcome: "terminated" },
    });
  });

  it("of a stop: done once the instance is stopped, or gone altogether; started again, it is stopped again", () => {
    expect(steps("stop")).toEqual({
      pending: { kind: "act-again", state: "pending" },
      running: { kind: "act-again", state: "running" },
      stopping: { kind: "wait", state: "stopping" },
      stopped: { kind: "released", outcome: "stopped" },
      "shutting-down": { kind: "wait", state: "shutting-down" },
      terminated: { kind: "released", outcome: "terminated" },
      "unknown to EC2": { kind: "released", outcome: "terminated" },
    });
  });

  it("that gives up says in words what it found and what did not happen, and why when the instance was still up", () => {
    expect(
      releaseFailedProblem("i-0123456789abcdef0", "terminate", { kind: "act-again", state: "running" }, 6),
    ).toBe(
      "Instance i-0123456789abcdef0 was still running after 6 checks: EC2 did not get it terminated. It may be protected against termination, or someone keeps starting it.",
    );
    expect(
      releaseFailedProblem("i-0123456789abcdef0", "stop", { kind: "act-again", state: "pending" }, 2),
    ).toBe(
      "Instance i-0123456789abcdef0 was still pending after 2 checks: EC2 did not get it stopped. It may be protected against stopping, or someone keeps starting it.",
    );
    expect(releaseFailedProblem("i-0123456789abcdef0", "stop", { kind: "wait", state: "stopping" }, 1)).toBe(
      "Instance i-0123456789abcdef0 was still stopping after 1 check: EC2 did not get it stopped.",
    );
  });
});

describe("an instance that runs again after its release", () => {
  it("is stopped again only when it was released by stopping it, and that release took", () => {
    expect(stopsAgainWhenRunning({ action: "stop", outcome: "stopped" })).toBe(true);
    expect(stopsAgainWhenRunning({ action: "stop" })).toBe(false);
    expect(stopsAgainWhenRunning({ action: "terminate", outcome: "terminated" })).toBe(false);
  });
});
