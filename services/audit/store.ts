import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { RequestPage, RequestView, TimelineEntry } from "../../api/schemas.ts";
import { requestIdSchema } from "../../events/index.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { documentClientOf, queryAll, whetherConditionHeld } from "../shared/dynamo.ts";
import { awaitedApproversOf, awaitedForExtensionOf } from "./approval.ts";
import { config } from "./config.ts";
import { type AuditRecord, chronologically, emailKeyOf, type ReadAccess } from "./domain.ts";
import {
  ALL_REQUESTS_PARTITION,
  auditRequestsTable,
  auditTimelineTable,
  LIST_SORT_KEY,
  REQUEST_INDEXES,
  type RequestIndex,
} from "./tables.ts";

export interface AuditTableNames {
  requests: string;
  timeline: string;
}

export interface ListQuery {
  requester?: string;
  status?: RequestStatus;
  limit: number;
  cursor?: string;
}

export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

/** The view item's own bookkeeping, next to the view's fields. */
interface ViewItem extends RequestView {
  /** The requester's email in lower case: addresses are matched whatever their case. */
  requesterKey?: string;
  /** The emails, in lower case, of the approvers the request still waits for: what an approver is asked to decide. */
  approverKeys?: string[];
  /**
   * Those of them an extension of the lease's round of approval waits for, in lower case; absent when
   * none does. The request is PROVISIONED meanwhile, so they find it by this rather than its status.
   */
  extensionApproverKeys?: string[];
  listPartition: typeof ALL_REQUESTS_PARTITION;
  /** The version of the timeline the view was projected from (see `Timeline`). */
  version: number;
}

/**
 * What stays of a view once every entry of its timeline moved to a refusal's: no request goes by the
 * id any more, but the version stays, so a delivery that read the timeline earlier cannot bring the
 * view back. It has none of the list indexes' keys, so no listing shows it.
 */
interface VacantViewItem {
  requestId: string;
  version: number;
}

interface TimelineItem extends Omit<TimelineEntry, "detail"> {
  requestId: string;
  /** Stored as JSON: outside details may hold values a DynamoDB map cannot (numbers beyond its range). */
  detailJson: string;
  /**
   * The refusal's id, once the entry moved to that refusal's timeline. The item stays here, hidden
   * from the timeline, because its move must count in the timeline's version.
   */
  movedTo?: string;
}

/** A request's timeline, as its view is projected from it. */
export interface Timeline {
  /** Its entries, oldest first, without those that moved to a refusal's timeline. */
  entries: TimelineEntry[];
  /**
   * How far it has come: each entry counts one, and one more once it moved away. Entries only come
   * and move away, never back, so the version only grows, and only the whole timeline has the greatest.
   */
  version: number;
}

const VERSION_ATTRIBUTE = "version" satisfies keyof ViewItem;
const MOVED_TO_ATTRIBUTE = "movedTo" satisfies keyof TimelineItem;
const APPROVER_KEYS_ATTRIBUTE = "approverKeys" satisfies keyof ViewItem;
const EXTENSION_APPROVER_KEYS_ATTRIBUTE = "extensionApproverKeys" satisfies keyof ViewItem;

/** A filter that does not fit the index's partition costs extra Queries; this bounds them per page. */
const MAX_QUERIES_PER_PAGE = 10;

/**
 * How many items a filtered Query evaluates at least: reading past the page is harmless (the cursor
 * then resumes after the last item shown), while reading a few at a time would spend the Queries.
 */
const FILTERED_QUERY_SIZE = 100;

const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;

interface ListPlan {
  index: RequestIndex;
  partition: string;
  statusFilter?: RequestStatus;
  /** For a reader who may not see everything in the partition: whose requests, or asked of whom, show. */
  readerFilter?: { email: string; shows: "asked" | "own-or-asked" };
}

const statusPlan = (status: RequestStatus | undefined): ListPlan =>
  status === undefined
    ? { index: REQUEST_INDEXES.all, partition: ALL_REQUESTS_PARTITION }
    : { index: REQUEST_INDEXES.byStatus, partition: status };

/**
 * The index, partition and filters that list exactly what the query asks for among what the reader
 * may see; undefined when nothing can match (a requester asking for someone else's requests).
 */
const planFor = ({ requester, status }: ListQuery, access: ReadAccess): ListPlan | undefined => {
  // A requester has few requests, so their partition is the narrower one to read when both filters apply.
  const byRequester = (email: string): ListPlan => ({
    index: REQUEST_INDEXES.byRequester,
    partition: emailKeyOf(email),
    statusFilter: status,
  });
  if (access.kind === "everything")
    return requester === undefined ? statusPlan(status) : byRequester(requester);
  if (requester === undefined) {
    if (access.kind === "own") return byRequester(access.email);
    return {
      ...statusPlan(status),
      statusFilter: undefined,
      readerFilter: { email: access.email, shows: "own-or-asked" },
    };
  }
  if (emailKeyOf(requester) === access.email) return byRequester(access.email);
  if (access.kind === "own") return undefined;
  return { ...byRequester(requester), readerFilter: { email: access.email, shows: "asked" } };
};

/** The FilterExpression of a plan's filters, if it has any. */
const filterOf = ({ statusFilter, readerFilter }: ListPlan): Partial<QueryCommandInput> => {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (statusFilter !== undefined) {
    conditions.push("#status = :status");
    names["#status"] = REQUEST_INDEXES.byStatus.partitionKey.name;
    values[":status"] = statusFilter;
  }
  if (readerFilter !== undefined) {
    const asked = "contains(#approverKeys, :reader)";
    conditions.push(readerFilter.shows === "asked" ? asked : `(#requesterKey = :reader OR ${asked})`);
    names["#approverKeys"] = APPROVER_KEYS_ATTRIBUTE;
    if (readerFilter.shows === "own-or-asked")
      names["#requesterKey"] = REQUEST_INDEXES.byRequester.partitionKey.name;
    values[":reader"] = readerFilter.email;
  }
  if (conditions.length === 0) return {};
  return {
    FilterExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

/** The key a Query would resume after this item with, as LastEvaluatedKey gives it. */
const cursorKeyOf = (plan: ListPlan, item: ViewItem): Record<string, unknown> => ({
  [auditRequestsTable.partitionKey.name]: item.requestId,
  [plan.index.partitionKey.name]: plan.partition,
  [LIST_SORT_KEY.name]: item.submittedAt,
});

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString("base64url");

/** A cursor is only good for the listing that issued it: same index, same partition. */
const decodeCursor = (cursor: string, plan: ListPlan): Record<string, unknown> => {
  const invalid = (cause?: unknown) =>
    new InvalidCursorError(
      "is not a cursor this listing issued",
      cause === undefined ? undefined : { cause },
    );
  if (!CURSOR_PATTERN.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (cause) {
    throw invalid(cause);
  }
  const keySchema = z.strictObject({
    [auditRequestsTable.partitionKey.name]: requestIdSchema,
    [plan.index.partitionKey.name]: z.literal(plan.partition),
    [LIST_SORT_KEY.name]: z.iso.datetime(),
  });
  const parsed = keySchema.safeParse(decoded);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
};

const viewOf = ({
  requesterKey,
  approverKeys,
  extensionApproverKeys,
  listPartition,
  version,
  ...view
}: ViewItem): RequestView => view;

const isVacant = (item: ViewItem | VacantViewItem): item is VacantViewItem => !("status" in item);

const entryOf = ({ eventId, type, time, source, account, detailJson }: TimelineItem): TimelineEntry => ({
  eventId,
  type,
  time,
  source,
  // Entries recorded before the account was kept have none.
  ...(account !== undefined && { account }),
  detail: JSON.parse(detailJson),
});

export const createAuditStore = (document: DynamoDBDocumentClient, tables: AuditTableNames) => {
  const timelineKey = (requestId: string, eventId: string) => ({
    [auditTimelineTable.partitionKey.name]: requestId,
    [auditTimelineTable.sortKey.name]: eventId,
  });

  /** Puts the item unless its event is on that timeline already (moved away or not); whether it was new. */
  const putUnlessPresent = (item: TimelineItem): Promise<boolean> =>
    whetherConditionHeld(
      document.send(
        new PutCommand({
          TableName: tables.timeline,
          Item: item,
          ConditionExpression: "attribute_not_exists(#eventId)",
          ExpressionAttributeNames: { "#eventId": auditTimelineTable.sortKey.name },
        }),
      ),
    );

  /** Adds the event to its request's timeline unless it is there already; resolves to whether it was new. */
  const appendToTimeline = async ({
    requestId,
    entry,
  }: Pick<AuditRecord, "requestId" | "entry">): Promise<boolean> => {
    const { detail, ...fields } = entry;
    return putUnlessPresent({ requestId, ...fields, detailJson: JSON.stringify(detail) });
  };

  /** Whether anything was recorded under the id: strongly consistent, so every append that finished counts. */
  const holdsTimeline = async (requestId: string): Promise<boolean> => {
    const { Items = [] } = await document.send(
      new QueryCommand({
        TableName: tables.timeline,
        KeyConditionExpression: "#requestId = :requestId",
        ExpressionAttributeNames: { "#requestId": auditTimelineTable.partitionKey.name },
        ExpressionAttributeValues: { ":requestId": requestId },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    return Items.length > 0;
  };

  /**
   * Moves the event's entry from one timeline to another: copies it there first, then marks it moved
   * where it was, so the entry is always on one of them, and repeating the move changes nothing. Resolves
   * whether the entry was found where it was (moved now or before), so that timeline is projected again.
   */
  const moveEntry = async ({ from, eventId, to }: { from: string; eventId: string; to: string }) => {
    // An entry moved to its own timeline would only hide itself.
    if (from === to) return false;
    const { Item } = await document.send(
      new GetCommand({ TableName: tables.timeline, Key: timelineKey(from, eventId), ConsistentRead: true }),
    );
    if (!Item) return false;
    const { requestId: _from, movedTo: _movedTo, ...fields } = Item as TimelineItem;
    await putUnlessPresent({ requestId: to, ...fields });
    await document.send(
      new UpdateCommand({
        TableName: tables.timeline,
        Key: timelineKey(from, eventId),
        UpdateExpression: "SET #movedTo = :to",
        ExpressionAttributeNames: { "#movedTo": MOVED_TO_ATTRIBUTE },
        ExpressionAttributeValues: { ":to": to },
      }),
    );
    return true;
  };

  /** The request's timeline; strongly consistent so it includes every append and move that finished. */
  const readTimeline = async (requestId: string): Promise<Timeline> => {
    const items = await queryAll<TimelineItem>(document, {
      TableName: tables.timeline,
      KeyConditionExpression: "#requestId = :requestId",
      ExpressionAttributeNames: { "#requestId": auditTimelineTable.partitionKey.name },
      ExpressionAttributeValues: { ":requestId": requestId },
      ConsistentRead: true,
    });
    return {
      entries: items
        .filter((item) => item.movedTo === undefined)
        .map(entryOf)
        .sort(chronologically),
      version: items.reduce((version, item) => version + (item.movedTo === undefined ? 1 : 2), 0),
    };
  };

  /**
   * Stores a view item unless one of at least the same version is there. Every change to a timeline
   * raises its version and is followed by a consistent read and a save, so the view saved last with
   * the greatest version has seen every change: concurrent writers cannot lose each other's fields,
   * whoever writes last.
   */
  const putViewItem = (item: ViewItem | VacantViewItem): Promise<boolean> =>
    whetherConditionHeld(
      document.send(
        new PutCommand({
          TableName: tables.requests,
          Item: item,
          ConditionExpression: "attribute_not_exists(#requestId) OR #version < :version",
          ExpressionAttributeNames: {
            "#requestId": auditRequestsTable.partitionKey.name,
            "#version": VERSION_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ":version": item.version },
        }),
      ),
    );

  /** Stores the view projected from the timeline of `version` (see `putViewItem`). */
  const saveView = (view: RequestView, version: number): Promise<boolean> => {
    const forExtensions = [
      ...new Set((view.lease?.extensions ?? []).flatMap(awaitedForExtensionOf).map(emailKeyOf)),
    ];
    const forRequest = awaitedApproversOf(view)?.map(emailKeyOf);
    return putViewItem({
      ...view,
      requesterKey: view.requester && emailKeyOf(view.requester.email),
      approverKeys:
        forExtensions.length === 0 ? forRequest : [...new Set([...(forRequest ?? []), ...forExtensions])],
      ...(forExtensions.length > 0 && { extensionApproverKeys: forExtensions }),
      listPartition: ALL_REQUESTS_PARTITION,
      version,
    });
  };

  /** Takes the view away once every entry of the timeline of `version` moved to a refusal's. */
  const vacateView = (requestId: string, version: number): Promise<boolean> =>
    putViewItem({ requestId, version });

  const getView = async (requestId: string): Promise<RequestView | undefined> => {
    const { Item } = await document.send(
      new GetCommand({
        TableName: tables.requests,
        Key: { [auditRequestsTable.partitionKey.name]: requestId },
      }),
    );
    const item = Item as ViewItem | VacantViewItem | undefined;
    return item && !isVacant(item) ? viewOf(item) : undefined;
  };

  /**
   * One page of the views `access` lets the reader see, newest first, from the index that fits the
   * filters. It reads one item past the page, so a next cursor is only given when another request
   * really follows; a page cut short by the Queries' bound still gives the cursor to read on.
   */
  const listViews = async (query: ListQuery, access: ReadAccess): Promise<RequestPage> => {
    const plan = planFor(query, access);
    if (!plan) return { items: [] };
    let startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, plan);
    const filter = filterOf(plan);
    const found: ViewItem[] = [];
    for (let queries = 0; queries < MAX_QUERIES_PER_PAGE; queries++) {
      const missing = query.limit + 1 - found.length;
      const page = await document.send(
        new QueryCommand({
          TableName: tables.requests,
          IndexName: plan.index.indexName,
          KeyConditionExpression: "#partition = :partition",
          ...filter,
          ExpressionAttributeNames: {
            "#partition": plan.index.partitionKey.name,
            ...filter.ExpressionAttributeNames,
          },
          ExpressionAttributeValues: { ":partition": plan.partition, ...filter.ExpressionAttributeValues },
          ScanIndexForward: false,
          // Limit counts items evaluated before the filter; unfiltered, asking for what is missing is enough.
          Limit: filter.FilterExpression === undefined ? missing : Math.max(missing, FILTERED_QUERY_SIZE),
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as ViewItem[]));
      startKey = page.LastEvaluatedKey;
      if (found.length > query.limit || !startKey) break;
    }
    const items = found.slice(0, query.limit);
    const lastShown = items.at(-1);
    if (found.length > query.limit && lastShown) {
      return { items: items.map(viewOf), nextCursor: encodeCursor(cursorKeyOf(plan, lastShown)) };
    }
    return { items: items.map(viewOf), nextCursor: startKey && encodeCursor(startKey) };
  };

  /** The views of one status whose `keysAttribute` holds `email` (whatever its case), newest first. */
  const awaitingIn = (status: RequestStatus, keysAttribute: string, email: string) =>
    queryAll<ViewItem>(document, {
      TableName: tables.requests,
      IndexName: REQUEST_INDEXES.byStatus.indexName,
      KeyConditionExpression: "#status = :status",
      FilterExpression: "contains(#keys, :approver)",
      ExpressionAttributeNames: {
        "#status": REQUEST_INDEXES.byStatus.partitionKey.name,
        "#keys": keysAttribute,
      },
      ExpressionAttributeValues: { ":status": status, ":approver": emailKeyOf(email) },
      ScanIndexForward: false,
    });

  /**
   * Every request pending approval whose approvers include `email` (whatever its case), and every
   * provisioned one an extension of whose lease waits for them, newest first. Reading the provisioned
   * ones costs a Query over the resources running now, which their leases keep from growing for ever.
   */
  const listAwaitingDecisionOf = async (email: string): Promise<RequestView[]> => {
    const [pending, extending] = await Promise.all([
      awaitingIn("PENDING_APPROVAL", APPROVER_KEYS_ATTRIBUTE, email),
      awaitingIn("PROVISIONED", EXTENSION_APPROVER_KEYS_ATTRIBUTE, email),
    ]);
    // As the index sorts each: by submission time, newest first.
    return [...pending, ...extending]
      .sort((a, b) => (a.submittedAt < b.submittedAt ? 1 : a.submittedAt > b.submittedAt ? -1 : 0))
      .map(viewOf);
  };

  /** Every request pending approval now, newest first: what the dashboard counts per approver. */
  const listPendingApproval = async (): Promise<RequestView[]> =>
    (
      await queryAll<ViewItem>(document, {
        TableName: tables.requests,
        IndexName: REQUEST_INDEXES.byStatus.indexName,
        KeyConditionExpression: "#status = :status",
        ExpressionAttributeNames: { "#status": REQUEST_INDEXES.byStatus.partitionKey.name },
        ExpressionAttributeValues: { ":status": "PENDING_APPROVAL" satisfies RequestStatus },
        ScanIndexForward: false,
      })
    ).map(viewOf);

  return {
    appendToTimeline,
    holdsTimeline,
    moveEntry,
    readTimeline,
    saveView,
    vacateView,
    getView,
    listViews,
    listAwaitingDecisionOf,
    listPendingApproval,
  };
};

export type AuditStore = ReturnType<typeof createAuditStore>;

export const auditStore = createAuditStore(documentClientOf(), {
  requests: config[auditRequestsTable.tableNameEnv],
  timeline: config[auditTimelineTable.tableNameEnv],
});
