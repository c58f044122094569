import "../../../test/support/service-environment.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../../shared/leases.ts";
import { createOutboxPublisher, type EventPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { approvalsTable } from "../tables.ts";
import { outcomesOn, seedPendingApproval, voteWithLink } from "../testing/approvals.ts";
import { createExpireSweeperHandler, SweepError } from "./expire-sweeper.ts";

const TTL_MS = 3600_000;

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeEach(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterEach(() => dynamo.close());

const setUp = (failFor?: string) => {
  const clock = manualClock();
  const recording = recordingPublisher();
  const bus = outcomesOn(recording);
  const publisher: EventPublisher = {
    publish: async (contract, detail, options) => {
      if ((detail as { requestId?: string }).requestId === failFor) throw new Error("bus unavailable");
      return recording.publish(contract, detail, options);
    },
  };
  const handler = createExpireSweeperHandler({
    store,
    publishOwed: createOutboxPublisher({ publisher, schedules: recordingSchedules(), store, now: clock.now }),
    now: clock.now,
    logger: silentLogger(),
  });
  const sweep = () => handler({}, localLambdaContext("decision-expire-sweeper", "us-east-1", "000000000000"));
  const seed = (requestId: string, ttlMs = TTL_MS) =>
    seedPendingApproval(store, {
      request: sampleRequest({ requestId }),
      approvers: ["bob@example.com"],
      createdAt: clock.now(),
      expiresAt: new Date(clock.now().getTime() + ttlMs),
    });
  return { clock, bus, sweep, seed };
};

describe("the expiry sweeper", () => {
  it("expires each pending approval past its deadline once, with RequestExpired, and leaves the others", async () => {
    const { clock, bus, sweep, seed } = setUp();
    await seed("due");
    await seed("later", 2 * TTL_MS);
    clock.advance(3600);

    await sweep();
    await sweep();

    expect(bus.published).toEqual([
      {
        detailType: "RequestExpired",
        source: "approvals.decision",
        detail: {
          requestId: "due",
          request: sampleRequest({ requestId: "due" }),
          expiresAt: "2026-03-01T11:00:00.000Z",
          expiredAt: "2026-03-01T11:00:00.000Z",
        },
      },
    ]);
    expect(await store.get("due")).toMatchObject({ status: "EXPIRED" });
    expect(await store.get("due")).not.toHaveProperty("sweepTask");
    expect(await store.get("later")).toMatchObject({ status: "PENDING" });
  });

  it("does not expire a request that was decided in time", async () => {
    const { clock, bus, sweep, seed } = setUp();
    const links = await seed("decided");
    const token = links["bob@example.com"]?.approve ?? "";
    const decided = await voteWithLink(store, {
      requestId: "decided",
      action: "approve",
      approver: "bob@example.com",
      token,
      now: clock.now(),
    });
    // Its writer published what it owed.
    await createOutboxPublisher({
      publisher: recordingPublisher(),
      schedules: recordingSchedules(),
      store,
      now: clock.now,
    })(decided.approval, decided.keys);
    clock.advance(7200);

    await sweep();

    expect(decided.approval.status).toBe("DECIDED");
    expect(bus.published).toHaveLength(0);
    expect(await store.get("decided")).toMatchObject({ status: "DECIDED" });
  });

  it("publishes a decision whose publish was lost, once, after the grace period", async () => {
    const { clock, bus, sweep, seed } = setUp();
    const links = await seed("lost");
    await voteWithLink(store, {
      requestId: "lost",
      action: "reject",
      approver: "bob@example.com",
      token: links["bob@example.com"]?.reject ?? "",
      reason: "Too big",
      now: clock.now(),
    });

    await sweep();
    const duringGrace = bus.published.length;
    clock.advance(OUTCOME_PUBLISH_GRACE_MS / 1000);
    await sweep();
    await sweep();

    expect(duringGrace).toBe(0);
    expect(bus.published).toMatchObject([
      {
        detailType: "RequestRejected",
        detail: { requestId: "lost", approver: "bob@example.com", reason: "Too big" },
      },
    ]);
  });

  it("sweeps the other approvals when one fails, then fails the run so it is retried", async () => {
    const { clock, bus, sweep, seed } = setUp("broken");
    await seed("broken");
    await seed("fine");
    clock.advance(3600);

    await expect(sweep()).rejects.toBeInstanceOf(SweepError);

    expect(bus.published.map((event) => event.detail.requestId)).toEqual(["fine"]);
    // The expiry stands; its event is left to a later run.
    expect(await store.get("broken")).toMatchObject({ status: "EXPIRED", sweepTask: "PUBLISH" });
  });
});
