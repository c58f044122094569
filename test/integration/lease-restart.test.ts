import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LeaseExpiring, ReleaseRequested, ResourceReleased } from "../../events/lease-events.ts";
import { loadLocalConfig } from "../../infra/local/config.ts";
import { EVENT_HANDLER_TIMEOUT_MS, MAILING_LEASE_MS } from "../../services/shared/leases.ts";
import { getRequest, localUsersEnv, validRequest, waitForStatus } from "../support/flow.ts";
import { submitAndApprove, timesLogged } from "../support/launches.ts";
import {
  describeInstance,
  detailsOn,
  instant,
  LEASES_POLICY_FILE,
  leaseStartedOf,
  RELEASE_ACTED,
  RELEASE_WITHIN_MS,
  SECOND_SCALE_LEASES,
  waitForEvents,
} from "../support/leases.ts";
import { type StackPorts, type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * A lease's end survives a kill -9 of the whole stack: its schedule, the release it starts and the
 * reaper's checks are all on disk, so the instance is released after the restart, and only once.
 */

/** The bus's retry schedule as shipped: its attempts must outlast a claim orphaned by the kill. */
const { BUS_RETRY_BASE_MS, BUS_MAX_ATTEMPTS } = loadLocalConfig({});

/** The longest a claim orphaned by the kill holds, plus up to two of the bus's longest waits after it. */
const CLAIM_RECOVERY_MS = Math.max(MAILING_LEASE_MS, EVENT_HANDLER_TIMEOUT_MS) + 120_000;

const EC2_RESOURCE = validRequest().resource as Record<string, unknown>;

describe("a lease's end across a kill -9", () => {
  let dataDir: string;
  const stacks: StackUnderTest[] = [];
  const start = async (ports?: StackPorts) => {
    const stack = await startStack({
      dataDir,
      ports,
      env: {
        ...SECOND_SCALE_LEASES,
        APPROVAL_POLICIES: LEASES_POLICY_FILE,
        BUS_RETRY_BASE_MS: String(BUS_RETRY_BASE_MS),
        BUS_MAX_ATTEMPTS: String(BUS_MAX_ATTEMPTS),
        // The launcher's INFO logs tell each time it stops or terminates an instance.
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...localUsersEnv(),
      },
    });
    stacks.push(stack);
    return stack;
  };
  afterEach(async () => {
    for (const stack of stacks.splice(0)) await stack.stop("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Provisions an instance under a 20 s lease on a fresh data directory. */
  const provisionLeased = async () => {
    dataDir = mkdtempSync(join(tmpdir(), "approvals-lease-restart-"));
    const first = await start();
    const requestId = await submitAndApprove(first, EC2_RESOURCE);
    const started = await leaseStartedOf(first, requestId);
    const instanceId = started.resource.type === "ec2" ? started.resource.instanceId : "";
    return { first, requestId, started, instanceId };
  };

  /** After the restart: released once, by one release, and the instance terminated. */
  const expectReleasedOnce = async (stack: StackUnderTest, requestId: string, instanceId: string) => {
    const released = await waitForStatus(stack, requestId, "RELEASED", CLAIM_RECOVERY_MS);
    // Time for a second release, were one owed, to show: the reaper's last check is 7 s after acting.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const settled = await getRequest(stack, requestId);
    expect(settled?.status).toBe("RELEASED");
    expect(detailsOn(settled, ReleaseRequested)).toEqual([
      expect.objectContaining({ reason: "lease-ended", action: "terminate" }),
    ]);
    expect(detailsOn(settled, ResourceReleased)).toEqual([
      expect.objectContaining({ reason: "lease-ended", outcome: "terminated" }),
    ]);
    expect((await describeInstance(stack, instanceId)).State?.Name).toBe("terminated");
    return released;
  };

  it("ends the lease once when its end fell due while the stack was down", {
    timeout: 60_000 + CLAIM_RECOVERY_MS,
  }, async () => {
    const { first, requestId, started, instanceId } = await provisionLeased();
    // The last reminder goes 5 s before the end: the stack is killed then, and is down at the end.
    await waitForEvents(first, requestId, LeaseExpiring, 2);
    await first.stop("SIGKILL");
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, instant(started.endsAt) - Date.now() + 1_000)),
    );

    const second = await start(first.ports);

    const released = await expectReleasedOnce(second, requestId, instanceId);
    expect(instant(detailsOn(released, ReleaseRequested)[0]?.requestedAt)).toBeGreaterThan(
      instant(started.endsAt),
    );
    // Nothing was terminated before the kill, and the instance once after it.
    expect(timesLogged(first, "ec2-launcher", RELEASE_ACTED, requestId)).toBe(0);
    expect(timesLogged(second, "ec2-launcher", RELEASE_ACTED, requestId)).toBe(1);
  });

  it("finishes, once, a release a kill -9 cut off as it started", {
    timeout: 60_000 + RELEASE_WITHIN_MS + CLAIM_RECOVERY_MS,
  }, async () => {
    const { first, requestId, instanceId } = await provisionLeased();
    // Killed as soon as the end is on the bus: the launcher is acting on it, or about to.
    await first.eventually(
      () => getRequest(first, requestId),
      (view) => detailsOn(view, ReleaseRequested).length > 0,
      60_000,
    );
    await first.stop("SIGKILL");

    const second = await start(first.ports);

    await expectReleasedOnce(second, requestId, instanceId);
  });
});
