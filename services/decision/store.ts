import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { canonicalEmail } from "../shared/canonical-email.ts";
import type { DecisionAction } from "../shared/decision-token.ts";
import {
  documentClientOf,
  queryAll,
  requestTable,
  unlessConditionFails,
  whetherConditionHeld,
} from "../shared/dynamo.ts";
import {
  type ApprovalRecord,
  type AskedApproval,
  type Decider,
  type EarlyDecision,
  type EarlyWithdrawal,
  grantKey,
  publishDueAt,
  type SweepTask,
  type Withdrawal,
} from "./domain.ts";
import { outboxEntries } from "./outbox.ts";
import { SWEEP_INDEX } from "./tables.ts";
import { withTimers } from "./timers.ts";
import { applied, type Transition } from "./transitions.ts";

/** A decision made with a link whose MAC checked out. */
export interface LinkDecision {
  requestId: string;
  action: DecisionAction;
  approver: string;
  tokenHash: string;
  /** The identity provider's id of the approver, when the link was used signed in as them. */
  approverSubject?: string;
  reason: string | undefined;
  now: Date;
}

export interface Condition {
  expression: string;
  values: Record<string, unknown>;
}

/**
 * That `decider` is not the approval's requester, on its stored attributes, as `isRequester` judges it:
 * not their lower-cased email, nor (where the approval keeps them) their canonical email or subject. An
 * absent attribute is tested for, not left to a comparison with nothing.
 */
const notTheRequester = ({ email, subject }: Decider): Condition => ({
  expression: [
    "requesterEmail <> :deciderEmail",
    "(attribute_not_exists(requesterCanonicalEmail) OR requesterCanonicalEmail <> :deciderCanonicalEmail)",
    ...(subject === undefined
      ? []
      : ["(attribute_not_exists(requesterSubject) OR requesterSubject <> :deciderSubject)"]),
  ].join(" AND "),
  values: {
    ":deciderEmail": email.toLowerCase(),
    ":deciderCanonicalEmail": canonicalEmail(email),
    ...(subject !== undefined && { ":deciderSubject": subject }),
  },
});

const allOf = (...conditions: Condition[]): Condition => ({
  expression: conditions.map(({ expression }) => expression).join(" AND "),
  values: Object.assign({}, ...conditions.map(({ values }) => values)),
});

/** Pending and before its deadline: what every vote needs. */
export const openAt = (now: Date): Condition => ({
  expression: "#status = :pending AND expiresAt > :now",
  values: { ":pending": "PENDING", ":now": now.toISOString() },
});

/**
 * That `decider` may vote in the current stage: asked in it, never voted before in any stage, not the
 * requester, and the approval still open.
 */
const mayVote = (decider: Decider, now: Date): Condition =>
  allOf(openAt(now), notTheRequester(decider), {
    expression: "contains(approvers, :voter) AND NOT contains(voters, :voter)",
    values: { ":voter": decider.email.toLowerCase() },
  });

/** A vote by a signed-in approver: they must be asked in the current stage. */
export const signedInVoteCondition = mayVote;

/** A vote with a link: also, the link's hash must be stored for that approver and action. */
export const linkVoteCondition = (
  decider: Decider,
  { action, tokenHash }: { action: DecisionAction; tokenHash: string },
  now: Date,
): Condition =>
  allOf(mayVote(decider, now), {
    expression: "contains(grants, :grant)",
    values: { ":grant": grantKey(decider.email.toLowerCase(), action, tokenHash) },
  });

/** The approval as read, whatever its state: `apply` checks that by its `eventSeq`. */
export const asRead: Condition = { expression: "attribute_exists(#status)", values: {} };

/** A pending approval whose deadline has passed. */
export const expiryCondition = (now: Date): Condition => ({
  expression: "#status = :pending AND expiresAt <= :now",
  values: { ":pending": "PENDING", ":now": now.toISOString() },
});

/** An approval written by `apply`, and the outbox keys of the events its write owes. */
export interface Applied {
  approval: AskedApproval;
  keys: string[];
}

/**
 * The approvals table, the one place that knows its item layout (see `AskedApproval`). Only decision
 * writes it: the RequestAccepted handler opens approvals, the ApprovalRequested handler merges links
 * (and creates approvals asked before policies), votes apply transitions, the sweeper expires
 * approvals and publishes what a crash left unpublished.
 */
export const createApprovalStore = (
  tableName: string,
  document: DynamoDBDocumentClient = documentClientOf(),
) => {
  const { get, createIfAbsent: putIfAbsent, update } = requestTable<ApprovalRecord>(document, tableName);

  /**
   * Applies a transition in one conditional write: the approval must be as it was read (its
   * `eventSeq`) and `condition` must hold. The write sets what the transition changes, puts the
   * events it owes into the outbox and makes the item PUBLISH-due, so the sweeper publishes them
   * should the writer not. Resolves to the approval written, or undefined when the condition failed.
   */
  const apply = async (
    approval: AskedApproval,
    given: Transition,
    now: Date,
    condition: Condition,
  ): Promise<Applied | undefined> => {
    // Every change that starts a stage or settles the approval owes its timers too.
    const transition = withTimers(approval, given);
    const sweep = { sweepTask: "PUBLISH" as const, sweepAt: publishDueAt(now).toISOString() };
    const written = applied(approval, transition, sweep);
    const owed = outboxEntries(approval.eventSeq, transition.events);
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = { ":seenSeq": approval.eventSeq, ...condition.values };
    const assignments: string[] = [];
    const attributes = {
      ...transition.set,
      eventSeq: written.eventSeq,
      ...(transition.events.length > 0 && sweep),
    };
    for (const [index, [name, value]] of Object.entries(attributes)
      .filter(([, value]) => value !== undefined)
      .entries()) {
      names[`#a${index}`] = name;
      values[`:a${index}`] = value;
      assignments.push(`#a${index} = :a${index}`);
    }
    for (const [index, [key, event]] of Object.entries(owed).entries()) {
      names[`#o${index}`] = key;
      values[`:o${index}`] = event;
      assignments.push(`outbox.#o${index} = :o${index}`);
    }
    const removals = (transition.remove ?? []).map((attribute, index) => {
      names[`#r${index}`] = attribute;
      return `#r${index}`;
    });
    const output = await unlessConditionFails(
      update({
        Key: { requestId: approval.requestId },
        UpdateExpression: `SET ${assignments.join(", ")}${removals.length > 0 ? ` REMOVE ${removals.join(", ")}` : ""}`,
        ConditionExpression: `eventSeq = :seenSeq AND ${condition.expression}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    return output ? { approval: output.Attributes as AskedApproval, keys: Object.keys(owed) } : undefined;
  };

  return {
    get,

    /** Creates the approval unless its item exists; false when an earlier event or an early decision did. */
    createIfAbsent: (approval: AskedApproval): Promise<boolean> => putIfAbsent(approval),

    /**
     * Adds links to a pending approval in the round they were sent for (`extension`, absent for the
     * request's own): links of a round the approval moved past never count. Resolves to the approval as
     * it is now, or undefined once that round is settled or replaced.
     */
    mergeGrants: async (
      requestId: string,
      grants: Set<string>,
      extension?: number,
    ): Promise<AskedApproval | undefined> =>
      (
        await unlessConditionFails(
          update({
            Key: { requestId },
            UpdateExpression: "ADD grants :grants",
            ConditionExpression: `#status = :pending AND ${
              extension === undefined ? "attribute_not_exists(extension)" : "extension.n = :round"
            }`,
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":grants": grants,
              ":pending": "PENDING",
              ...(extension !== undefined && { ":round": extension }),
            },
            ReturnValues: "ALL_NEW",
          }),
        )
      )?.Attributes as AskedApproval | undefined,

    /**
     * Records a decision on a request whose ApprovalRequested has not arrived: one conditional put, so
     * the first decision wins, and a put that comes after the approval's own loses to it. Resolves to
     * the item written, or undefined when the request's item exists by now.
     */
    recordEarlyDecision: async ({
      expiresAt,
      tokenHash,
      now,
      ...decided
    }: LinkDecision & { expiresAt: Date }): Promise<EarlyDecision | undefined> => {
      const early: EarlyDecision = {
        requestId: decided.requestId,
        createdAt: now.toISOString(),
        status: "DECIDED_EARLY",
        decision: {
          action: decided.action,
          approver: decided.approver,
          approverSubject: decided.approverSubject,
          reason: decided.reason,
          decidedAt: now.toISOString(),
          tokenHash,
        },
        expiresAt: expiresAt.toISOString(),
      };
      return (await putIfAbsent(early)) ? early : undefined;
    },

    /**
     * Replaces an early decision with the approval its ApprovalRequested settled it into, unless
     * another delivery of that event did so first.
     */
    replaceEarlyDecision: (early: EarlyDecision, settled: AskedApproval): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: settled,
            ConditionExpression: "#status = :early AND decision.tokenHash = :tokenHash",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":early": "DECIDED_EARLY" satisfies EarlyDecision["status"],
              ":tokenHash": early.decision.tokenHash,
            },
          }),
        ),
      ),

    apply,

    /**
     * Keeps a withdrawal asked for before the request's approval exists (see withdraw.ts): appended to
     * the request's early withdrawals. False when the approval exists by now.
     */
    keepEarlyWithdrawal: (requestId: string, withdrawal: Withdrawal): Promise<boolean> =>
      whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression:
            "SET #status = :early, createdAt = if_not_exists(createdAt, :at), withdrawals = list_append(if_not_exists(withdrawals, :none), :one)",
          ConditionExpression: "attribute_not_exists(requestId) OR #status = :early",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":early": "WITHDRAWN_EARLY" satisfies EarlyWithdrawal["status"],
            ":at": withdrawal.withdrawnAt,
            ":none": [],
            ":one": [withdrawal],
          },
        }),
      ),

    /**
     * Replaces early withdrawals with the approval RequestAccepted settled them into, unless another
     * delivery did so first or a withdrawal was kept since they were read.
     */
    replaceEarlyWithdrawal: (early: EarlyWithdrawal, settled: AskedApproval): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: settled,
            ConditionExpression: "#status = :early AND size(withdrawals) = :seen",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":early": "WITHDRAWN_EARLY" satisfies EarlyWithdrawal["status"],
              ":seen": early.withdrawals.length,
            },
          }),
        ),
      ),

    /**
     * Keeps the decision of a link approval-mail has not announced yet on the approval, to stand once
     * its announcement arrives (see `confirmedAwaitingDecision`): one conditional write, while the
     * approval is as read, still open, holds no other waiting decision and still lacks the link.
     */
    awaitAnnouncement: async (
      approval: AskedApproval,
      awaiting: NonNullable<AskedApproval["awaitingDecision"]>,
      now: Date,
    ): Promise<AskedApproval | undefined> =>
      (
        await unlessConditionFails(
          update({
            Key: { requestId: approval.requestId },
            UpdateExpression: "SET awaitingDecision = :awaiting",
            ConditionExpression:
              "eventSeq = :seenSeq AND #status = :pending AND expiresAt > :now AND attribute_not_exists(awaitingDecision) AND NOT contains(grants, :grant)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":awaiting": awaiting,
              ":seenSeq": approval.eventSeq,
              ":pending": "PENDING",
              ":now": now.toISOString(),
              ":grant": grantKey(awaiting.approver, awaiting.action, awaiting.tokenHash),
            },
            ReturnValues: "ALL_NEW",
          }),
        )
      )?.Attributes as AskedApproval | undefined,

    /** Items whose sweep task is due at or before `dueBy`, every page of the sparse sweep index. */
    listDue: (task: SweepTask, dueBy: Date): Promise<ApprovalRecord[]> =>
      queryAll<ApprovalRecord>(document, {
        TableName: tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: "sweepTask = :task AND sweepAt <= :dueBy",
        ExpressionAttributeValues: { ":task": task, ":dueBy": dueBy.toISOString() },
      }),

    /**
     * Takes published events out of the outbox. The write that empties it takes the item off the
     * sweeper's PUBLISH list: back to EXPIRE at its deadline while pending, off the index once settled.
     * With no keys, only that (a sweep that found nothing owed).
     */
    markPublished: async (requestId: string, keys: readonly string[], at: Date): Promise<void> => {
      const current =
        keys.length === 0
          ? await get(requestId)
          : ((
              await unlessConditionFails(
                update({
                  Key: { requestId },
                  UpdateExpression: `REMOVE ${keys.map((_, index) => `outbox.#k${index}`).join(", ")}`,
                  ConditionExpression: "attribute_exists(requestId)",
                  ExpressionAttributeNames: Object.fromEntries(keys.map((key, index) => [`#k${index}`, key])),
                  ReturnValues: "ALL_NEW",
                }),
              )
            )?.Attributes as ApprovalRecord | undefined);
      if (!current || current.status === "DECIDED_EARLY" || current.status === "WITHDRAWN_EARLY") return;
      if (current.sweepTask !== "PUBLISH") return;
      if (Object.keys(current.outbox ?? {}).length > 0) return;
      const pending = current.status === "PENDING";
      await whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression: pending
            ? "SET sweepTask = :expire, sweepAt = expiresAt"
            : "SET outcomePublishedAt = :at REMOVE sweepTask, sweepAt",
          ConditionExpression: "sweepTask = :publish AND size(outbox) = :none AND #status = :status",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":publish": "PUBLISH" satisfies SweepTask,
            ":none": 0,
            ":status": current.status,
            ...(pending ? { ":expire": "EXPIRE" satisfies SweepTask } : { ":at": at.toISOString() }),
          },
        }),
      );
    },
  };
};

export type ApprovalStore = ReturnType<typeof createApprovalStore>;
