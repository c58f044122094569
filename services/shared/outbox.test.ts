import { describe, expect, it } from "vitest";
import { LeaseTimerDue, ReleaseRequested } from "../../events/lease-events.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import { createOutbox, type OwedEntryOf, outboxEntries, UnfitOwedEntryError } from "./outbox.ts";

const AT = "2026-12-14T12:00:00.000Z";
const NOW = () => new Date("2026-12-07T12:00:00.000Z");
const request = sampleRequest({ requestId: "req-outbox" });
const outbox = createOutbox({ events: [ReleaseRequested], timer: LeaseTimerDue });
type Entry = OwedEntryOf<typeof ReleaseRequested, typeof LeaseTimerDue>;

const release = (email: string): Entry => ({
  detailType: "ReleaseRequested",
  detail: {
    requestId: request.requestId,
    request,
    resource: { type: "ec2", instanceId: "i-0123456789abcdef0", region: "us-east-1" },
    action: "stop",
    reason: "released-by-operator",
    by: { email },
    requestedAt: AT,
  },
});
/** 255 characters: one more than an address may have. */
const TOO_LONG = `${"o".repeat(243)}@example.com`;
const end: Entry = {
  schedule: {
    name: "req-outbox.lease-end",
    at: AT,
    detail: { requestId: request.requestId, kind: "end", endsAt: AT, dueAt: AT },
  },
};

/** A logger that keeps what was logged as an error. */
const errorLog = () => {
  const errors: { message: string; details: unknown }[] = [];
  return {
    errors,
    error: (message: string, details: unknown) => {
      errors.push({ message, details });
    },
  };
};

describe("the shared outbox", () => {
  it("refuses a change owing an entry that can never go out, naming why, before it is written", () => {
    expect(() => outbox.checkOwed(request.requestId, [end, release("ops@example.com")])).not.toThrow();

    expect(() => outbox.checkOwed(request.requestId, [end, release(TOO_LONG)])).toThrow(UnfitOwedEntryError);
  });

  it("drops an entry that can never go out, logging it, and does the rest in order", async () => {
    const publisher = recordingPublisher();
    const schedules = recordingSchedules();
    const marked: string[] = [];
    const logger = errorLog();
    const publish = outbox.createOutboxPublisher({
      publisher,
      schedules,
      store: { markDone: async (_requestId, keys) => void marked.push(...keys) },
      now: NOW,
      logger: logger as never,
    });

    await publish({
      requestId: request.requestId,
      outbox: outboxEntries(0, [release(TOO_LONG), end, release("ops@example.com")]),
    });

    expect(logger.errors).toEqual([
      {
        message: "An owed entry can never go out: dropped from the outbox",
        details: expect.objectContaining({ requestId: request.requestId, key: "00000000" }),
      },
    ]);
    expect(schedules.made.map(({ name }) => name)).toEqual(["req-outbox.lease-end"]);
    expect(publisher.published).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ by: { email: "ops@example.com" } }) }),
    ]);
    expect(marked).toEqual(["00000000", "00000001", "00000002"]);
  });

  it("does only the keys it is given: what the writer's own write added", async () => {
    const schedules = recordingSchedules();
    const publisher = recordingPublisher();
    const publish = outbox.createOutboxPublisher({
      publisher,
      schedules,
      store: { markDone: async () => {} },
      now: NOW,
      logger: errorLog() as never,
    });

    await publish(
      { requestId: request.requestId, outbox: outboxEntries(0, [end, release("ops@example.com")]) },
      ["00000001"],
    );

    expect(schedules.made).toEqual([]);
    expect(publisher.published).toHaveLength(1);
  });
});
