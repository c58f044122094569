import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DetailOf } from "../../events/contract.ts";
import type { DelegationChanged } from "../../events/delegation-changed.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import { env, loadConfig } from "../shared/config.ts";
import { documentClientOf, whetherConditionHeld } from "../shared/dynamo.ts";
import type { RequesterIdentity, ResolvedStage } from "./stages.ts";
import { delegationsCopyTable } from "./tables.ts";

/**
 * Delegation as decision applies it: when a stage starts, each approver away at that moment is asked
 * through their delegate, on their behalf. Decision keeps its own copy of everyone's windows from
 * DelegationChanged (the delegation service owns the originals) and never forwards a request twice.
 */

export type DelegationsCopy = DetailOf<typeof DelegationChanged>;

/** Whom each approver's requests go to at a moment: their delegate then, or undefined when they are there. */
export type DelegateOf = (approver: string) => string | undefined;

/** Who is away when a stage starts: what stage resolution asks of decision's copy. */
export interface DelegationLookup {
  delegatesAt: (approvers: readonly string[], at: Date) => Promise<DelegateOf>;
}

/**
 * The stage with each approver who is away replaced by their delegate, asked on their behalf
 * (`delegates` maps each such delegate to the approver). An approver stays asked themselves when
 * their delegate:
 * - is the requester: nobody decides their own request, and dropping the approver could leave the
 *   stage short of its quorum, while the approver can still decide when back (or from afar);
 * - is already asked in the stage, in their own right or for someone else, or already counted in an
 *   earlier stage: one person counts once, so forwarding would take a vote away from the stage;
 * - is away themselves: requests are forwarded once, never along a chain.
 */
export const delegatedStage = (
  stage: ResolvedStage,
  delegateOf: DelegateOf,
  requester: RequesterIdentity,
  alreadyCounted: readonly string[],
): ResolvedStage => {
  const requesterMailbox = canonicalEmail(requester.email);
  const asked = new Set(stage.approvers);
  const delegates: Record<string, string> = {};
  const approvers = stage.approvers.map((approver) => {
    const delegate = delegateOf(approver);
    if (
      delegate === undefined ||
      canonicalEmail(delegate) === requesterMailbox ||
      asked.has(delegate) ||
      alreadyCounted.includes(delegate) ||
      delegateOf(delegate) !== undefined
    )
      return approver;
    asked.add(delegate);
    delegates[delegate] = approver;
    return delegate;
  });
  return Object.keys(delegates).length === 0 ? stage : { ...stage, approvers, delegates };
};

/** The lookup and the writes of decision's copy of the delegations. */
export const createDelegationsCopy = (document: DynamoDBDocumentClient, tableName: string) => {
  const get = async (approver: string): Promise<DelegationsCopy | undefined> =>
    (
      await document.send(
        new GetCommand({
          TableName: tableName,
          Key: { [delegationsCopyTable.partitionKey.name]: approver },
          ConsistentRead: true,
        }),
      )
    ).Item as DelegationsCopy | undefined;

  return {
    get,
    /** Keeps the approver's windows unless a copy as new or newer is there; whether it was kept. */
    keepNewer: (changed: DelegationsCopy): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: changed,
            ConditionExpression: "attribute_not_exists(#approver) OR #changedAt < :changedAt",
            ExpressionAttributeNames: { "#approver": "approver", "#changedAt": "changedAt" },
            ExpressionAttributeValues: { ":changedAt": changed.changedAt },
          }),
        ),
      ),
    /**
     * Reads each approver's windows, and their delegates' (to forward no request along a chain); a
     * stage asks a handful of people, so one read each.
     */
    delegatesAt: async (approvers: readonly string[], at: Date): Promise<DelegateOf> => {
      const windowsOf = new Map<string, DelegationsCopy["windows"]>();
      const read = async (emails: readonly string[]) => {
        const unread = [...new Set(emails)].filter((email) => !windowsOf.has(email));
        const copies = await Promise.all(unread.map(get));
        for (const [index, email] of unread.entries()) windowsOf.set(email, copies[index]?.windows ?? []);
      };
      const delegateOf: DelegateOf = (approver) =>
        windowsOf
          .get(approver)
          ?.find(({ from, to }) => Date.parse(from) <= at.getTime() && at.getTime() < Date.parse(to))
          ?.delegate;
      await read(approvers);
      await read(approvers.flatMap((approver) => delegateOf(approver) ?? []));
      return delegateOf;
    },
  };
};

export type DelegationsCopyStore = ReturnType<typeof createDelegationsCopy>;

const config = loadConfig({ [delegationsCopyTable.tableNameEnv]: env.text() });

export const delegationsCopy: DelegationsCopyStore = createDelegationsCopy(
  documentClientOf(),
  config[delegationsCopyTable.tableNameEnv],
);

/** The stage as resolved, with the delegations in force at `at` applied (see `delegatedStage`). */
export const withDelegations = async (
  lookup: DelegationLookup | undefined,
  stage: ResolvedStage,
  requester: RequesterIdentity,
  alreadyCounted: readonly string[],
  at: Date,
): Promise<ResolvedStage> =>
  lookup
    ? delegatedStage(stage, await lookup.delegatesAt(stage.approvers, at), requester, alreadyCounted)
    : stage;
