/**
 * How long a handler may run, and how long the claims it takes on side effects hold.
 *
 * A claim whose lease is up is taken over: its holder is taken to have died. A holder still at work
 * then runs the effect beside its taker, so every lease must stay longer than the Lambda timeout of the
 * handler holding it: the CDK gives every event consumer EVENT_HANDLER_TIMEOUT_MS
 * (infra/aws/constructs/handler-function.ts), and the leases are multiples of it. Raise the timeout and
 * the leases follow; never set a lease at or below it.
 */

/** The longest an event consumer runs before Lambda stops it. */
export const EVENT_HANDLER_TIMEOUT_MS = 30_000;

/** approval-mail's claim on mailing the approvers of one request. */
export const MAILING_LEASE_MS = 2 * EVENT_HANDLER_TIMEOUT_MS;

/**
 * How long a settled approval's outcome event is left to its writer (the decision page, decision's
 * ApprovalRequested handler or the sweeper) before the sweeper publishes it instead.
 */
export const OUTCOME_PUBLISH_GRACE_MS = 2 * EVENT_HANDLER_TIMEOUT_MS;
