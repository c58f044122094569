import { describe, expect, it } from "vitest";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { createLocalDirectory } from "../shared/directory.ts";
import type { AskedApproval } from "./domain.ts";
import { type OwedEntry, type OwedEvent, type OwedSchedule, owed } from "./outbox.ts";
import {
  escalationApproversOf,
  escalationTransition,
  reminderTransition,
  scheduleNameOf,
  stageSpecOf,
  type TimerDue,
  timersOwed,
  whyTimerIgnored,
  withTimers,
} from "./timers.ts";
import { approveTransition, expireTransition } from "./transitions.ts";

const START = new Date("2026-03-01T10:00:00.000Z");
const EXPIRES = "2026-03-01T10:00:08.000Z";
const HOUR = 3600_000;
const request = sampleRequest({ requestId: "req-timers" });

/** A pending approval of a two-stage policy, in its first stage, reminded every hour at most twice and escalated after two. */
const pending = (overrides: Partial<AskedApproval> = {}): AskedApproval => ({
  requestId: request.requestId,
  request,
  requesterEmail: "ana@example.com",
  createdAt: START.toISOString(),
  status: "PENDING",
  policy: { name: "two-stages", hash: "0123456789ab" },
  plan: [
    { name: "leads", approvers: { groups: ["leads"], emails: [] }, quorum: 1 },
    { name: "finance", approvers: { groups: [], emails: ["fin@example.com"] }, quorum: 1 },
  ],
  timing: {
    reminders: { everyMs: HOUR, max: 2 },
    escalation: { afterMs: 2 * HOUR, to: { groups: ["operators"], emails: [] } },
  },
  stage: { index: 0, name: "leads", count: 2 },
  approvers: ["lead-a@example.com", "lead-b@example.com"],
  quorum: 2,
  votes: [],
  voters: [],
  expiresAt: EXPIRES,
  outbox: {},
  eventSeq: 1,
  ...overrides,
});

const started = (approval: AskedApproval, index: number, at: Date): OwedEvent =>
  owed(ApprovalStageStarted, {
    requestId: approval.requestId,
    request,
    policy: approval.policy ?? { name: "x", hash: "0123456789ab" },
    stage: { index, name: "leads", count: 2 },
    approvers: approval.approvers.map((email) => ({ email })),
    quorum: approval.quorum,
    expiresAt: approval.expiresAt,
    startedAt: at.toISOString(),
  });

const schedulesOf = (entries: readonly OwedEntry[]) =>
  entries
    .filter((entry): entry is OwedSchedule => "schedule" in entry)
    .map(({ schedule }) => ({ name: schedule.name, at: schedule.at, kind: schedule.detail.kind }));

const eventTypesOf = (entries: readonly OwedEntry[]) =>
  entries.flatMap((entry) => ("detailType" in entry ? [entry.detailType] : []));

const due = (kind: TimerDue["kind"], stage = 0, n?: number): TimerDue => ({
  requestId: request.requestId,
  kind,
  stage,
  ...(n !== undefined && { n }),
  dueAt: START.toISOString(),
});

describe("the timers a write owes", () => {
  it("owe the first stage's reminder and escalation from its start, and the approval's expiry at its deadline", () => {
    const approval = pending();

    const owedNow = timersOwed(undefined, approval, [started(approval, 0, START)]);

    expect(schedulesOf(owedNow)).toEqual([
      { name: "req-timers.expiry-0-0", at: EXPIRES, kind: "expiry" },
      { name: "req-timers.reminder-0-1", at: "2026-03-01T11:00:00.000Z", kind: "reminder" },
      { name: "req-timers.escalation-0-0", at: "2026-03-01T12:00:00.000Z", kind: "escalation" },
    ]);
  });

  it("owe only the expiry for a policy without reminders or escalation, and nothing for an approval asked before policies", () => {
    const plain = pending({ timing: undefined });
    const beforePolicies = pending({ policy: undefined, timing: undefined });

    expect(
      schedulesOf(timersOwed(undefined, plain, [started(plain, 0, START)])).map(({ kind }) => kind),
    ).toEqual(["expiry"]);
    expect(timersOwed(undefined, beforePolicies, [started(beforePolicies, 0, START)])).toEqual([]);
  });

  it("owe the next stage's reminder and escalation, but no second expiry, when a vote completes the first stage", () => {
    const approval = pending({ quorum: 1 });
    const next = { ref: { index: 1, name: "finance", count: 2 }, approvers: ["fin@example.com"], quorum: 1 };
    const later = new Date(START.getTime() + 30 * 60_000);

    const transition = withTimers(
      approval,
      approveTransition(approval, { email: "lead-a@example.com" }, undefined, later, next),
    );

    expect(schedulesOf(transition.events)).toEqual([
      { name: "req-timers.reminder-1-1", at: "2026-03-01T11:30:00.000Z", kind: "reminder" },
      { name: "req-timers.escalation-1-0", at: "2026-03-01T12:30:00.000Z", kind: "escalation" },
    ]);
  });

  it("take back, once the approval is settled, the schedules still waiting: the expiry, each stage's next reminder and its escalation", () => {
    const approval = pending({
      quorum: 1,
      stage: { index: 1, name: "finance", count: 2 },
      timersDone: ["reminder-0-1", "reminder-0-2", "escalation-0-0", "reminder-1-1"],
    });

    const transition = withTimers(approval, expireTransition(approval, new Date(EXPIRES)));

    expect(eventTypesOf(transition.events)).toEqual(["RequestExpired"]);
    expect(transition.events.at(-1)).toEqual({
      cancel: ["req-timers.expiry-0-0", "req-timers.reminder-1-2", "req-timers.escalation-1-0"],
    });
  });
});

describe("schedule names", () => {
  it("stay within Scheduler's 64 characters and apart for the longest request ids", () => {
    const longId = "r".repeat(64);

    const first = scheduleNameOf(longId, { kind: "reminder", stage: 0, n: 1 });
    const second = scheduleNameOf(longId, { kind: "reminder", stage: 0, n: 2 });

    expect(first).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);
    expect(first).not.toBe(second);
    expect(scheduleNameOf(longId, { kind: "reminder", stage: 0, n: 1 })).toBe(first);
  });
});

describe("a due timer", () => {
  it("is ignored once the approval is settled, has moved to another stage, or handled it; an expiry before the deadline too", () => {
    const now = new Date(EXPIRES);

    expect(whyTimerIgnored(pending({ status: "DECIDED" }), due("reminder", 0, 1), now)).toMatch(/DECIDED/);
    expect(
      whyTimerIgnored(pending({ stage: { index: 1, name: "finance", count: 2 } }), due("escalation"), now),
    ).toMatch(/stage 1/);
    expect(whyTimerIgnored(pending({ timersDone: ["reminder-0-1"] }), due("reminder", 0, 1), now)).toMatch(
      /handled/,
    );
    expect(whyTimerIgnored(pending(), due("expiry"), START)).toMatch(/deadline/);
    expect(whyTimerIgnored(pending(), due("expiry"), now)).toBeUndefined();
    expect(whyTimerIgnored(pending(), due("reminder", 0, 2), now)).toBeUndefined();
  });

  it("reminds only the stage's approvers who have not voted, and owes the next reminder while fewer than max went out", () => {
    const approval = pending({
      votes: [{ stage: 0, approver: "lead-a@example.com", decidedAt: START.toISOString() }],
      voters: ["lead-a@example.com"],
    });

    const first = reminderTransition(approval, due("reminder", 0, 1), START);
    const last = reminderTransition(approval, due("reminder", 0, 2), START);

    expect(first.events[0]).toMatchObject({
      detailType: "ApproversReminded",
      detail: { approvers: ["lead-b@example.com"], reminder: { n: 1, max: 2 } },
    });
    expect(schedulesOf(first.events)).toEqual([
      { name: "req-timers.reminder-0-2", at: "2026-03-01T11:00:00.000Z", kind: "reminder" },
    ]);
    expect(first.set.timersDone).toEqual(["reminder-0-1"]);
    expect(eventTypesOf(last.events)).toEqual(["ApproversReminded"]);
    expect(schedulesOf(last.events)).toEqual([]);
  });

  it("escalates to the policy's escalation approvers, never the requester nor anyone who voted, adding them to the stage", async () => {
    const directory = createLocalDirectory([
      { email: "op-1@example.com", groups: ["operators"] },
      { email: "ana@example.com", groups: ["operators"] },
      { email: "lead-a@example.com", groups: ["operators"] },
      { email: "lead-b@example.com", groups: ["operators"] },
    ]);
    const approval = pending({ voters: ["lead-a@example.com"] });

    const added = await escalationApproversOf(directory, approval);
    const transition = escalationTransition(approval, due("escalation"), added, START);

    expect(added).toEqual(["op-1@example.com"]);
    expect(transition.set.approvers).toEqual([
      "lead-a@example.com",
      "lead-b@example.com",
      "op-1@example.com",
    ]);
    expect(transition.events).toMatchObject([
      { detailType: "ApprovalEscalated", detail: { approvers: ["op-1@example.com"], quorum: 2 } },
    ]);
  });

  it("reminds and escalates with the lease the policy settled, as the stage's first email showed it", () => {
    const lease = { duration: "P7D", onEnd: "stop", max: "P30D" } as const;
    const approval = pending({ lease });

    const reminded = reminderTransition(approval, due("reminder", 0, 1), START);
    const escalated = escalationTransition(approval, due("escalation"), ["op-1@example.com"], START);

    expect(reminded.events[0]).toMatchObject({ detailType: "ApproversReminded", detail: { lease } });
    expect(escalated.events[0]).toMatchObject({ detailType: "ApprovalEscalated", detail: { lease } });
    expect(reminderTransition(pending(), due("reminder", 0, 1), START).events[0]).not.toHaveProperty(
      "detail.lease",
    );
  });

  it("escalates to nobody, announcing nothing, when everyone it names is asked already", () => {
    const transition = escalationTransition(pending(), due("escalation"), [], START);

    expect(transition).toEqual({ set: { timersDone: ["escalation-0-0"] }, events: [] });
  });

  it("keeps the escalation's approvers among the stage's as the policy names them, once the stage is escalated", () => {
    const planned = { groups: ["leads"], emails: [] };

    expect(stageSpecOf(pending(), planned)).toEqual(planned);
    expect(stageSpecOf(pending({ timersDone: ["escalation-0-0"] }), planned)).toEqual({
      groups: ["leads", "operators"],
      emails: [],
    });
  });
});

describe("the timers of an extension's round", () => {
  const round = pending({
    extension: {
      n: 2,
      from: "2026-03-08T10:00:00.000Z",
      until: "2026-03-20T10:00:00.000Z",
      justification: "The load tests run longer",
    },
  });

  it("are named apart from the request's own, and carry the round", () => {
    const entries = timersOwed(undefined, round, [started(round, 0, START)]);

    expect(schedulesOf(entries).map(({ name }) => name)).toEqual([
      "req-timers.x2-expiry-0-0",
      "req-timers.x2-reminder-0-1",
      "req-timers.x2-escalation-0-0",
    ]);
    for (const entry of entries) expect(entry).toMatchObject({ schedule: { detail: { extension: 2 } } });
  });

  it("act only in their round: a timer of the request's own approval does nothing to it", () => {
    expect(whyTimerIgnored(round, due("reminder", 0, 1), START)).toBe(
      "the timer is of another round of the approval",
    );

    const reminded = reminderTransition(round, { ...due("reminder", 0, 1), extension: 2 }, START);

    expect(reminded.events).toMatchObject([
      { detailType: "ApproversReminded", detail: { extension: { n: 2 } } },
      { schedule: { name: "req-timers.x2-reminder-0-2", detail: { extension: 2, n: 2 } } },
    ]);
  });
});
