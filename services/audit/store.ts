import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { RequestPage, RequestView, TimelineEntry } from "../../api/schemas.ts";
import { requestIdSchema } from "../../events/index.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { documentClientOf, queryAll, whetherConditionHeld } from "../shared/dynamo.ts";
import { config } from "./config.ts";
import { type AuditRecord, chronologically } from "./domain.ts";
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
  listPartition: typeof ALL_REQUESTS_PARTITION;
  /** How many timeline entries the view was projected from. */
  version: number;
}

interface TimelineItem extends Omit<TimelineEntry, "detail"> {
  requestId: string;
  /** Stored as JSON: outside details may hold values a DynamoDB map cannot (numbers beyond its range). */
  detailJson: string;
}

const VERSION_ATTRIBUTE = "version" satisfies keyof ViewItem;

/** A filter that does not fit the index's partition costs extra Queries; this bounds them per page. */
const MAX_QUERIES_PER_PAGE = 10;

const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;

interface ListPlan {
  index: RequestIndex;
  partition: string;
  statusFilter?: RequestStatus;
}

const planFor = ({ requester, status }: ListQuery): ListPlan => {
  // A requester has few requests, so their partition is the narrower one to read when both filters apply.
  if (requester !== undefined) {
    return { index: REQUEST_INDEXES.byRequester, partition: requester.toLowerCase(), statusFilter: status };
  }
  if (status !== undefined) return { index: REQUEST_INDEXES.byStatus, partition: status };
  return { index: REQUEST_INDEXES.all, partition: ALL_REQUESTS_PARTITION };
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

const viewOf = ({ requesterKey, listPartition, version, ...view }: ViewItem): RequestView => view;

export const createAuditStore = (document: DynamoDBDocumentClient, tables: AuditTableNames) => {
  /** Adds the event to its request's timeline unless it is there already; resolves to whether it was new. */
  const appendToTimeline = async ({ requestId, entry }: AuditRecord): Promise<boolean> => {
    const { detail, ...fields } = entry;
    const item: TimelineItem = { requestId, ...fields, detailJson: JSON.stringify(detail) };
    return whetherConditionHeld(
      document.send(
        new PutCommand({
          TableName: tables.timeline,
          Item: item,
          ConditionExpression: "attribute_not_exists(#eventId)",
          ExpressionAttributeNames: { "#eventId": auditTimelineTable.sortKey.name },
        }),
      ),
    );
  };

  /** The request's whole timeline, oldest first; strongly consistent so it includes every append that finished. */
  const readTimeline = async (requestId: string): Promise<TimelineEntry[]> => {
    const items = await queryAll<TimelineItem>(document, {
      TableName: tables.timeline,
      KeyConditionExpression: "#requestId = :requestId",
      ExpressionAttributeNames: { "#requestId": auditTimelineTable.partitionKey.name },
      ExpressionAttributeValues: { ":requestId": requestId },
      ConsistentRead: true,
    });
    return items
      .map(
        ({ eventId, type, time, source, detailJson }): TimelineEntry => ({
          eventId,
          type,
          time,
          source,
          detail: JSON.parse(detailJson),
        }),
      )
      .sort(chronologically);
  };

  /**
   * Stores the view projected from `version` timeline entries unless one projected from at least as
   * many is there. Timelines only grow and are read consistently, so the view with the most entries
   * has seen every event: concurrent writers cannot lose each other's fields, whoever writes last.
   */
  const saveView = async (view: RequestView, version: number): Promise<boolean> => {
    const item: ViewItem = {
      ...view,
      requesterKey: view.requester?.email.toLowerCase(),
      listPartition: ALL_REQUESTS_PARTITION,
      version,
    };
    return whetherConditionHeld(
      document.send(
        new PutCommand({
          TableName: tables.requests,
          Item: item,
          ConditionExpression: "attribute_not_exists(#requestId) OR #version < :version",
          ExpressionAttributeNames: {
            "#requestId": auditRequestsTable.partitionKey.name,
            "#version": VERSION_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ":version": version },
        }),
      ),
    );
  };

  const getView = async (requestId: string): Promise<RequestView | undefined> => {
    const { Item } = await document.send(
      new GetCommand({
        TableName: tables.requests,
        Key: { [auditRequestsTable.partitionKey.name]: requestId },
      }),
    );
    return Item && viewOf(Item as ViewItem);
  };

  /**
   * One page of views, newest first, from the index that fits the filters. It reads one item past
   * the page, so a next cursor is only given when another request really follows.
   */
  const listViews = async (query: ListQuery): Promise<RequestPage> => {
    const plan = planFor(query);
    let startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, plan);
    const found: ViewItem[] = [];
    for (let queries = 0; queries < MAX_QUERIES_PER_PAGE; queries++) {
      const input: QueryCommandInput = {
        TableName: tables.requests,
        IndexName: plan.index.indexName,
        KeyConditionExpression: "#partition = :partition",
        ExpressionAttributeNames: { "#partition": plan.index.partitionKey.name },
        ExpressionAttributeValues: { ":partition": plan.partition },
        ScanIndexForward: false,
        // Limit counts items read before the filter; asking only for what is missing never overshoots.
        Limit: query.limit + 1 - found.length,
        ExclusiveStartKey: startKey,
      };
      if (plan.statusFilter !== undefined) {
        input.FilterExpression = "#status = :status";
        input.ExpressionAttributeNames = {
          ...input.ExpressionAttributeNames,
          "#status": REQUEST_INDEXES.byStatus.partitionKey.name,
        };
        input.ExpressionAttributeValues = {
          ...input.ExpressionAttributeValues,
          ":status": plan.statusFilter,
        };
      }
      const page = await document.send(new QueryCommand(input));
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

  return { appendToTimeline, readTimeline, saveView, getView, listViews };
};

export type AuditStore = ReturnType<typeof createAuditStore>;

export const auditStore = createAuditStore(documentClientOf(), {
  requests: config[auditRequestsTable.tableNameEnv],
  timeline: config[auditTimelineTable.tableNameEnv],
});
