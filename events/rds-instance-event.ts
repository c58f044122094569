import { z } from "zod";
import { defineEvent } from "./contract.ts";

/**
 * AWS's IDs of the DB instance events the local RDS reports (its "Amazon RDS event categories and event
 * messages"). The rds-launcher settles on an event's category, not its ID: a failure has many IDs.
 */
export const RDS_EVENT_IDS = {
  created: "RDS-EVENT-0005",
  deleted: "RDS-EVENT-0003",
} as const;

/** Published by RDS itself (or the local RDS) on the default bus; we only consume it. */
export const RdsDbInstanceEvent = defineEvent({
  source: "aws.rds",
  detailType: "RDS DB Instance Event",
  description: "RDS reports something that happened to a DB instance (created, failure, availability, ...).",
  schema: z.object({
    EventCategories: z.array(z.string()),
    SourceType: z.literal("DB_INSTANCE"),
    SourceArn: z.string(),
    SourceIdentifier: z.string(),
    Date: z.string(),
    Message: z.string(),
    EventID: z.string().optional(),
  }),
});
