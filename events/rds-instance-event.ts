import { z } from "zod";
import { defineEvent } from "./contract.ts";

/**
 * RDS's event IDs the rds-launcher settles a creation on (AWS's "Amazon RDS event categories and event
 * messages"): created, and the failures that end a creation.
 */
export const RDS_CREATION_EVENT_IDS = {
  created: "RDS-EVENT-0005",
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
