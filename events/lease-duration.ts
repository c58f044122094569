import { z } from "zod";
import { InvalidDurationError, parseDuration } from "./duration.ts";
import { mustBe } from "./fields.ts";

/** How long a lease runs, as requests and policies write it (the rest of leases: lease.ts). */

/** What a request or a policy writes for "this resource never ends", where the policy allows it. */
export const NO_END = "none";

/**
 * An ISO 8601 duration longer than zero, kept as written (`P7D`, `PT2H`, `PT30S`): the bounds it must
 * fall within are the deployment's (LEASE_MIN, LEASE_MAX) and its policy's, checked where they are known.
 */
export const leaseDurationSchema = z
  .string(mustBe("an ISO 8601 duration such as PT8H, P7D or P2W"))
  .superRefine((text, context) => {
    try {
      if (parseDuration(text) > 0) return;
      context.addIssue({ code: "custom", input: text, message: "must be longer than zero" });
    } catch (error) {
      if (!(error instanceof InvalidDurationError)) throw error;
      context.addIssue({ code: "custom", input: text, message: error.message });
    }
  });

/** A request's `lease`: how long it asks to keep the resource, or `none` for no end. */
export const requestedLeaseSchema = z.union(
  [z.literal(NO_END), leaseDurationSchema],
  mustBe(`an ISO 8601 duration such as PT8H, P7D or P2W, or "${NO_END}"`),
);

export type RequestedLease = z.output<typeof requestedLeaseSchema>;
