import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf, queryAll, requestTable, whetherConditionHeld } from "../shared/dynamo.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../shared/leases.ts";
import { outboxEntries } from "../shared/outbox.ts";
import type { LeaseRecord, Transition } from "./domain.ts";
import { checkOwed } from "./outbox.ts";
import { SWEEP_INDEX } from "./tables.ts";

/**
 * The lease once `transition` is applied to it as read: a version more, its owed entries appended to
 * the outbox, and, while the outbox holds any, the sweeper's PUBLISH task due once the writer had
 * its chance to do them (OUTCOME_PUBLISH_GRACE_MS).
 */
export const applied = (
  record: LeaseRecord,
  { set, remove = [], owed }: Transition,
  now: Date,
): LeaseRecord => {
  const seq = record.eventSeq ?? 0;
  const outbox = { ...record.outbox, ...outboxEntries(seq, owed) };
  const next: LeaseRecord = {
    ...record,
    ...set,
    outbox,
    eventSeq: seq + owed.length,
    version: record.version + 1,
  };
  for (const field of remove) delete next[field];
  if (owed.length > 0) {
    next.sweepTask = "PUBLISH";
    next.sweepAt = new Date(now.getTime() + OUTCOME_PUBLISH_GRACE_MS).toISOString();
  }
  return next;
};

/**
 * The leases table. Every change is a whole item written only if the item is still at the version its
 * writer read (`put`), so two changes racing (a timer and a release, two deliveries) never both win:
 * the loser reads again and decides anew.
 */
export const createLeaseStore = (
  tableName: string,
  document: DynamoDBDocumentClient = documentClientOf(),
) => {
  const table = requestTable<LeaseRecord>(document, tableName);
  return {
    get: table.get,

    /** Writes `next` if the item is still at `readVersion` (0: absent); whether it held. */
    put: (next: LeaseRecord, readVersion: number): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: next,
            ...(readVersion === 0
              ? { ConditionExpression: "attribute_not_exists(requestId)" }
              : {
                  ConditionExpression: "version = :version",
                  ExpressionAttributeValues: { ":version": readVersion },
                }),
          }),
        ),
      ),

    /**
     * Takes done entries out of the outbox (a version more, so a writer that read them owed reads
     * again); the sweeper's task goes with the last of them.
     */
    markDone: async (requestId: string, keys: readonly string[]): Promise<void> => {
      const names = Object.fromEntries(keys.map((key, index) => [`#k${index}`, key]));
      const { Attributes } = await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { requestId },
          UpdateExpression: `REMOVE ${Object.keys(names)
            .map((name) => `outbox.${name}`)
            .join(", ")} ADD version :one`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "ALL_NEW",
        }),
      );
      const after = Attributes as LeaseRecord;
      if (Object.keys(after.outbox ?? {}).length > 0 || after.sweepTask === undefined) return;
      await whetherConditionHeld(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { requestId },
            UpdateExpression: "REMOVE sweepTask, sweepAt ADD version :one",
            ConditionExpression: "version = :version",
            ExpressionAttributeValues: { ":one": 1, ":version": after.version },
          }),
        ),
      );
    },

    /** The leases whose outbox the sweeper should see to by `now`, as the index has them (it may lag). */
    listDue: (now: Date): Promise<Pick<LeaseRecord, "requestId">[]> =>
      queryAll(document, {
        TableName: tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: "sweepTask = :task AND sweepAt <= :now",
        ExpressionAttributeValues: { ":task": "PUBLISH", ":now": now.toISOString() },
      }),
  };
};

export type LeaseStore = ReturnType<typeof createLeaseStore>;

/** The lease kept changing under a change; the caller's retry (the bus's, the client's) reads it anew. */
export class LeaseContendedError extends Error {
  override readonly name = "LeaseContendedError";
}

/** Each lost write is another change to the same lease (a timer, a decision, a release, the outbox): a few at most. */
const MAX_ATTEMPTS = 5;

/**
 * Reads the lease (a fresh one when absent), has `decide` say what changes, and writes it if the lease
 * is still as read, reading again when it is not. Resolves to the lease as it now is, the transition
 * this call wrote (none when `decide` changed nothing) and the outbox keys of what that write owes:
 * the writer does those, and only those. What `decide` throws (a refusal) is thrown, and so is
 * UnfitOwedEntryError, unwritten, when the change would owe what can never go out.
 */
export const changeLease = async <T extends Transition>(
  store: Pick<LeaseStore, "get" | "put">,
  requestId: string,
  decide: (record: LeaseRecord) => T | undefined,
  now: Date,
): Promise<{ record: LeaseRecord; written?: T; keys: string[] }> => {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const read = (await store.get(requestId)) ?? { requestId, version: 0 };
    const written = decide(read);
    if (!written) return { record: read, keys: [] };
    checkOwed(requestId, written.owed);
    const next = applied(read, written, now);
    const keys = Object.keys(outboxEntries(read.eventSeq ?? 0, written.owed));
    if (await store.put(next, read.version)) return { record: next, written, keys };
  }
  throw new LeaseContendedError(`The lease of ${requestId} changed under ${MAX_ATTEMPTS} attempts`);
};
