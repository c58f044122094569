import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { isoTimestampSchema, requestIdSchema } from "./request.ts";

/** What a timer of an approval is for. */
export const TIMER_KINDS = ["reminder", "escalation", "expiry"] as const;

/**
 * One event type for the three timers, told apart by `kind`: they share their shape, their producer
 * (decision, through EventBridge Scheduler) and their one consumer, which reads the approval again and
 * ignores a timer the approval has moved past.
 */
export const ApprovalTimerDue = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalTimerDue",
  description:
    "A one-time schedule decision made for an approval is due: remind the stage's approvers, escalate the stage, or expire the request.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    kind: z.enum(TIMER_KINDS),
    /** The index of the stage the timer was set for (from 0); an expiry names the first stage. */
    stage: z.number().int().min(0),
    /** Which reminder of the stage this is, from 1; only for a reminder. */
    n: z.number().int().min(1).optional(),
    /** The extension round the timer was set for; absent for the request's own approval. */
    extension: z.number().int().min(1).optional(),
    dueAt: isoTimestampSchema,
  }),
});
