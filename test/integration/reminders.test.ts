import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { DetailOf, EventContract } from "../../events/contract.ts";
import {
  decide,
  decisionLinks,
  emailsTo,
  localUsersEnv,
  OPERATOR_EMAIL,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type MailboxEmail, type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Reminders, escalation and expiry of approvals on EventBridge Scheduler (the local stack's own), with
 * the policy's durations in seconds (test/fixtures/policies/reminders.json): two of "approvers" are
 * needed, the stage is reminded every 2 s at most twice, escalated to "operators" after 3 s, and the
 * request expires after 8 s. The sweeper runs once an hour here, so the timers alone act.
 */

const POLICY_FILE = fileURLToPath(new URL("../fixtures/policies/reminders.json", import.meta.url));
const APPROVER = "approver@example.com";
const APPROVER2 = "approver2@example.com";
const HOUR_MS = "3600000";

const stackEnv = {
  APPROVAL_POLICIES: POLICY_FILE,
  SWEEP_INTERVAL_MS: HOUR_MS,
  ...localUsersEnv(),
};

const isReminder = (email: MailboxEmail) => /^Reminder:/.test(email.subject);
const reminderNumbers = (emails: readonly MailboxEmail[], max = 2) =>
  emails
    .filter(isReminder)
    .map((email) => Number(new RegExp(`reminder (\\d+) of ${max}`).exec(email.body.text ?? "")?.[1]))
    .sort();
const isEscalation = (email: MailboxEmail) => /asked as escalation/.test(email.body.text ?? "");

const submitNagged = async (stack: StackUnderTest) => {
  const submitted = await submit(stack, validRequest({ justification: "nag: needs an answer soon" }));
  expect(submitted.status).toBe(202);
  return String(submitted.body.requestId);
};

const firstLinks = async (stack: StackUnderTest, approver: string, requestId: string) => {
  const [email] = await waitForEmails(stack, approver, requestId);
  return decisionLinks(email as MailboxEmail);
};

describe("approvals reminded, escalated and expired by their schedules", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({ env: stackEnv });
  });
  afterAll(() => stack?.destroy());

  it("reminds only those who have not voted, at most max times, escalates to the operators, and expires without the sweeper", async () => {
    const requestId = await submitNagged(stack);
    const voted = await decide((await firstLinks(stack, APPROVER, requestId)).approve);
    expect(voted.status).toBe(200);

    const expired = await waitForStatus(stack, requestId, "EXPIRED", 30_000);
    // Time for a third reminder, were one owed, to arrive after the deadline.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const detailsOf = <C extends EventContract>(contract: C): DetailOf<C>[] =>
      expired.timeline
        .filter((entry) => entry.type === contract.detailType)
        .map((entry) => contract.schema.parse(entry.detail) as DetailOf<C>);
    const [vote] = detailsOf(ApprovalVoteRecorded);
    const reminded = detailsOf(ApproversReminded);
    const toApprover2 = await emailsTo(stack, APPROVER2, requestId);
    const toOperator = await emailsTo(stack, OPERATOR_EMAIL, requestId);
    expect(expired.timeline.map((entry) => entry.type)).toContain("RequestExpired");
    expect(reminded.map(({ reminder }) => reminder.n)).toEqual([1, 2]);
    expect(reminderNumbers(toApprover2)).toEqual([1, 2]);
    // A reminder decided after the vote leaves the voter out.
    const afterVote = reminded.filter(({ remindedAt }) => remindedAt > String(vote?.votedAt));
    expect(afterVote.flatMap(({ approvers }) => approvers)).not.toContain(APPROVER);
    expect(toOperator.filter(isEscalation)).toHaveLength(1);
  });

  it("counts the vote of an escalation approver with the link their escalation mail gave them", async () => {
    const requestId = await submitNagged(stack);
    await decide((await firstLinks(stack, APPROVER, requestId)).approve);

    const [escalation] = await stack.eventually(
      async () => (await emailsTo(stack, OPERATOR_EMAIL, requestId)).filter(isEscalation),
      (emails) => emails.length > 0,
    );
    const operatorVote = await decide(decisionLinks(escalation as MailboxEmail).approve);

    expect(operatorVote.status).toBe(200);
    const approved = await waitForStatus(stack, requestId, "APPROVED");
    expect(approved.timeline.map((entry) => entry.type)).toContain("ApprovalEscalated");
  });
});

describe("a schedule due while the stack is down", () => {
  const stacks: StackUnderTest[] = [];
  afterAll(async () => {
    for (const stack of stacks.slice(0, -1)) await stack.stop("SIGKILL").catch(() => undefined);
    await stacks.at(-1)?.destroy();
  });

  const remindedAfterRestart = (stack: StackUnderTest, requestId: string) =>
    stack.eventually(
      async () => (await emailsTo(stack, APPROVER2, requestId)).filter(isReminder),
      (emails) => emails.length > 0,
    );

  it("fires once, late, when the stack starts again", async () => {
    const first = await startStack({ env: stackEnv });
    stacks.push(first);
    const submitted = await submit(first, validRequest({ justification: "nag-once: one reminder" }));
    const requestId = String(submitted.body.requestId);
    await waitForEmails(first, APPROVER2, requestId);
    await first.stop("SIGKILL");
    // The first reminder (2 s after the stage started) falls due while nothing runs.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const second = await startStack({ env: stackEnv, dataDir: first.dataDir, ports: first.ports });
    stacks.push(second);
    await remindedAfterRestart(second, requestId);
    // Time for a second copy, were the schedule to fire again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    expect(reminderNumbers(await emailsTo(second, APPROVER2, requestId), 1)).toEqual([1]);
  });
});
