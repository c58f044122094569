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
  type Decision,
  type EarlyDecision,
  grantKey,
  publishDueAt,
  type SignedInApprover,
  type SweepTask,
} from "./domain.ts";
import { SWEEP_INDEX } from "./tables.ts";

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

/** A decision made by a signed-in approver, without a link. */
export interface SignedInDecision {
  requestId: string;
  action: DecisionAction;
  approver: SignedInApprover;
  reason: string | undefined;
  now: Date;
}

interface Condition {
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

const allOf = (first: Condition, second: Condition): Condition => ({
  expression: `${first.expression} AND ${second.expression}`,
  values: { ...first.values, ...second.values },
});

/**
 * The approvals table, the one place that knows its item layout. Only decision writes it: the
 * ApprovalRequested handler creates and merges approvals, the pages record decisions, the sweeper
 * expires approvals and publishes what a crash left unpublished.
 */
export const createApprovalStore = (
  tableName: string,
  document: DynamoDBDocumentClient = documentClientOf(),
) => {
  const { get, createIfAbsent: putIfAbsent, update } = requestTable<ApprovalRecord>(document, tableName);

  /**
   * Writes the decision if the approval is still pending before its deadline and `condition` holds:
   * the one conditional write every way of deciding goes through, so the first decision wins.
   */
  const decideIf = async (
    requestId: string,
    decision: Decision,
    now: Date,
    condition: Condition,
  ): Promise<AskedApproval | undefined> => {
    const output = await unlessConditionFails(
      update({
        Key: { requestId },
        UpdateExpression:
          "SET #status = :decided, decision = :decision, sweepTask = :publish, sweepAt = :publishDueAt",
        ConditionExpression: `#status = :pending AND expiresAt > :now AND ${condition.expression}`,
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":decided": "DECIDED",
          ":pending": "PENDING",
          ":decision": decision,
          ":publish": "PUBLISH" satisfies SweepTask,
          ":publishDueAt": publishDueAt(now).toISOString(),
          ":now": now.toISOString(),
          ...condition.values,
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return output?.Attributes as AskedApproval | undefined;
  };

  return {
    get,

    /** Creates the approval unless its item exists; false when an earlier event or an early decision did. */
    createIfAbsent: (approval: AskedApproval): Promise<boolean> => putIfAbsent(approval),

    /** Adds the grants of a later ApprovalRequested to a pending approval; false when it is no longer pending. */
    /** Adds links to a pending approval; resolves to it as it is now, or undefined once it is settled. */
    mergeGrants: async (requestId: string, grants: Set<string>): Promise<AskedApproval | undefined> =>
      (
        await unlessConditionFails(
          update({
            Key: { requestId },
            UpdateExpression: "ADD grants :grants",
            ConditionExpression: "#status = :pending",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":grants": grants, ":pending": "PENDING" },
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

    /**
     * The decision, as one conditional write: still pending, not expired, not the requester (by the
     * link's email, and by the subject of an approver using it signed in), and the link's hash stored
     * for this approver and action. The first decision wins; a link decides once. Resolves to the
     * decided item, or undefined when the condition did not hold.
     */
    recordDecision: ({
      requestId,
      action,
      approver,
      approverSubject,
      tokenHash,
      reason,
      now,
    }: LinkDecision): Promise<AskedApproval | undefined> =>
      decideIf(
        requestId,
        { action, approver, approverSubject, reason, decidedAt: now.toISOString() },
        now,
        allOf(notTheRequester({ email: approver, subject: approverSubject }), {
          expression: "contains(grants, :grant)",
          values: { ":grant": grantKey(approver, action, tokenHash) },
        }),
      ),

    /**
     * A signed-in approver's decision, under the same condition as a link's, except that the approver
     * must be among the approval's approvers instead of holding a granted link. The decision records
     * the identity: its email (the outcome's approver) and its subject.
     */
    recordSignedInDecision: ({
      requestId,
      action,
      approver,
      reason,
      now,
    }: SignedInDecision): Promise<AskedApproval | undefined> =>
      decideIf(
        requestId,
        {
          action,
          approver: approver.email,
          approverSubject: approver.subject,
          reason,
          decidedAt: now.toISOString(),
        },
        now,
        allOf(notTheRequester(approver), {
          expression: "contains(approvers, :approverKey)",
          values: { ":approverKey": approver.email.toLowerCase() },
        }),
      ),

    /** Marks a pending item past its deadline EXPIRED; undefined when it was decided or expired already. */
    expire: async (requestId: string, now: Date): Promise<AskedApproval | undefined> => {
      const output = await unlessConditionFails(
        update({
          Key: { requestId },
          UpdateExpression:
            "SET #status = :expired, expiredAt = :now, sweepTask = :publish, sweepAt = :publishDueAt",
          ConditionExpression: "#status = :pending AND expiresAt <= :now",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":expired": "EXPIRED",
            ":pending": "PENDING",
            ":now": now.toISOString(),
            ":publish": "PUBLISH" satisfies SweepTask,
            ":publishDueAt": publishDueAt(now).toISOString(),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return output?.Attributes as AskedApproval | undefined;
    },

    /** Items whose sweep task is due at or before `dueBy`, every page of the sparse sweep index. */
    listDue: (task: SweepTask, dueBy: Date): Promise<ApprovalRecord[]> =>
      queryAll<ApprovalRecord>(document, {
        TableName: tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: "sweepTask = :task AND sweepAt <= :dueBy",
        ExpressionAttributeValues: { ":task": task, ":dueBy": dueBy.toISOString() },
      }),

    /** Takes the item off the sweeper's list once its outcome event is on the bus. */
    markOutcomePublished: async (requestId: string, at: Date): Promise<void> => {
      await whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression: "SET outcomePublishedAt = :at REMOVE sweepTask, sweepAt",
          ConditionExpression: "sweepTask = :publish",
          ExpressionAttributeValues: { ":at": at.toISOString(), ":publish": "PUBLISH" satisfies SweepTask },
        }),
      );
    },
  };
};

export type ApprovalStore = ReturnType<typeof createApprovalStore>;
