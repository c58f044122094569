import type { TestDynamo } from "../../../test/support/dynamo.ts";
import { createAuditStore } from "../store.ts";
import { auditRequestsTable, auditTimelineTable } from "../tables.ts";

/** The audit store on a test dynalite, whose tables are named by their ids as `startTestDynamo` makes them. */
export const testAuditStore = (dynamo: TestDynamo) =>
  createAuditStore(dynamo.document, { requests: auditRequestsTable.id, timeline: auditTimelineTable.id });
