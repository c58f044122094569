import type { TestDynamo } from "../../../test/support/dynamo.ts";
import { createAggregatesStore } from "../aggregates-store.ts";
import { createAuditStore } from "../store.ts";
import { auditAggregatesTable, auditRequestsTable, auditTimelineTable } from "../tables.ts";

/** The audit store on a test dynalite, whose tables are named by their ids as `startTestDynamo` makes them. */
export const testAuditStore = (dynamo: TestDynamo) =>
  createAuditStore(dynamo.document, { requests: auditRequestsTable.id, timeline: auditTimelineTable.id });

/** The aggregates' store on the same test dynalite. */
export const testAggregatesStore = (dynamo: TestDynamo) =>
  createAggregatesStore(dynamo.document, auditAggregatesTable.id);
