import { createRoute, z } from "@hono/zod-openapi";
import { REQUEST_STATUSES } from "../events/request-status.ts";
import { signedIn } from "./access.ts";
import { errorBodySchema } from "./schemas.ts";

/**
 * The operators' dashboard: how the flow went, day by day over a range of dates, from the aggregates
 * the audit service keeps as events arrive. Browser-safe.
 */

const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

const answer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: json(schema),
});

const refusal = (description: string) => answer(errorBodySchema, description);

/** The longest range one answer covers: a year, leap day included. */
export const DASHBOARD_MAX_DAYS = 366;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_RULE = "must be a date as YYYY-MM-DD";

/** A calendar day (UTC) as YYYY-MM-DD, refused unless the calendar has it (no 2026-02-30). */
export const daySchema = z
  .string(DAY_RULE)
  .regex(DAY_PATTERN, { error: DAY_RULE, abort: true })
  .refine((day) => {
    const time = Date.parse(`${day}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(day);
  }, DAY_RULE);

/** Whole days from `from` to `to`, both counted: 1 for a single day. */
export const daysIn = (from: string, to: string): number =>
  (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;

export const dashboardQuerySchema = z
  .object({
    from: daySchema.openapi({ description: "The first day (UTC) the dashboard covers, YYYY-MM-DD." }),
    to: daySchema.openapi({
      description: `The last day (UTC) it covers: not before from, at most ${DASHBOARD_MAX_DAYS} days in all.`,
    }),
  })
  .superRefine(({ from, to }, context) => {
    const days = daysIn(from, to);
    if (days < 1) context.addIssue({ code: "custom", path: ["to"], message: "must not be before from" });
    else if (days > DASHBOARD_MAX_DAYS) {
      context.addIssue({
        code: "custom",
        path: ["to"],
        message: `must be at most ${DASHBOARD_MAX_DAYS} days after from, both counted`,
      });
    }
  });

export type DashboardQuery = z.output<typeof dashboardQuerySchema>;

const countsSchema = z.array(z.number().int().nonnegative()).openapi({
  description: "One number per day of `days`, in the same order.",
});

/** Minutes at most, or null for the last bucket, which has no upper bound. */
const minutesSchema = z.number().nonnegative().nullable();

export const dashboardSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(z.string()).openapi({ description: "Every day of the range, oldest first." }),
    requestsByStatus: z.array(z.object({ status: z.enum(REQUEST_STATUSES), counts: countsSchema })).openapi({
      description:
        "How many requests reached each status on each day: submitted, decided, provisioned, failed, and so on.",
    }),
    timeToDecision: z
      .object({
        decisions: z.number().int().nonnegative(),
        p50Minutes: minutesSchema,
        p90Minutes: minutesSchema,
        daily: z.array(
          z.object({
            decisions: z.number().int().nonnegative(),
            p50Minutes: minutesSchema,
            p90Minutes: minutesSchema,
          }),
        ),
      })
      .openapi({
        description:
          "From submission to a person's decision (policies' decisions are left out). Kept as a histogram of fixed buckets: a percentile is the upper bound of the bucket it falls in, null when none or beyond the last bound.",
      }),
    pendingByApprover: z
      .array(z.object({ approver: z.string(), pending: z.number().int().positive() }))
      .openapi({ description: "Requests pending approval now, by the approvers they wait for, most first." }),
    provisioning: z.object({
      succeeded: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      successRate: z.number().min(0).max(1).nullable().openapi({ description: "Null when none ended." }),
    }),
    costByRequester: z
      .array(z.object({ requester: z.string(), monthlyUsd: z.number().nonnegative() }))
      .openapi({
        description:
          "The estimated monthly cost of the resources provisioned in the range, by requester, most first.",
      }),
    costByResourceType: z
      .array(z.object({ resourceType: z.string(), monthlyUsd: z.number().nonnegative() }))
      .openapi({ description: "The same, by type of resource." }),
  })
  .openapi("Dashboard");

export type Dashboard = z.output<typeof dashboardSchema>;

export const dashboardRoute = createRoute({
  method: "get",
  path: "/api/dashboard",
  summary: "The operators' dashboard",
  description:
    "How requests went over a range of days (UTC): by status, time to decision, provisioning, estimated cost; and what is pending approval now.",
  ...signedIn("operators"),
  request: { query: dashboardQuerySchema },
  responses: {
    200: answer(dashboardSchema, "The series over the range."),
    400: refusal("Names the field that is wrong: from or to."),
    401: refusal("No access token, or one that is expired, tampered with or for another client."),
    403: refusal("The signed-in user is not an operator."),
  },
});
