import { z } from "zod";
import type { EC2_INSTANCE_STATES } from "../../events/ec2-state-change.ts";
import { END_ACTIONS, EXPIRES_AT_TAG, leasedResourceSchema } from "../../events/lease.ts";
import { expiresAtValueOf, launcherLeaseSchemasOf } from "../shared/release-checks.ts";
import type { Ec2Failure } from "./domain.ts";

/**
 * The end of an instance's lease, as the launcher decides it: the ExpiresAt tag it carries, and what
 * each check of a release does with the state EC2 describes.
 */

export type InstanceState = (typeof EC2_INSTANCE_STATES)[number];

/** What a release does to an instance: EC2's own two ends. */
export const ec2EndActionSchema = z.enum(END_ACTIONS.ec2);
export type Ec2EndAction = z.output<typeof ec2EndActionSchema>;

/** The leased resource of an EC2 request: the subscriptions route only these here. */
export const ec2LeasedResourceSchema = leasedResourceSchema.options[0];
export type Ec2LeasedResource = z.output<typeof ec2LeasedResourceSchema>;

/** `LeaseStarted` or `LeaseExtended`, and `ReleaseRequested`, of an instance (services/shared/release-checks.ts). */
export const { leaseEnd: ec2LeaseEndSchema, release: ec2ReleaseRequestSchema } = launcherLeaseSchemasOf(
  "ec2",
  ec2LeasedResourceSchema,
  ec2EndActionSchema,
);
export type Ec2LeaseEnd = z.output<typeof ec2LeaseEndSchema>;
export type Ec2ReleaseRequest = z.output<typeof ec2ReleaseRequestSchema>;

/** The ExpiresAt tag of a lease ending at `endsAt`, or never. */
export const expiresAtTagOf = (endsAt: string | null) => ({
  Key: EXPIRES_AT_TAG,
  Value: expiresAtValueOf(endsAt),
});

export type ReleaseOutcome = "terminated" | "stopped";

/** What a check of a release does, from the state EC2 describes the instance in. */
export type ReleaseCheckStep =
  /** The release took: report it. */
  | { kind: "released"; outcome: ReleaseOutcome }
  /** The instance is on its way there: look again later. */
  | { kind: "wait"; state: InstanceState }
  /** The release did not take, or someone started the instance again: release it again, look again later. */
  | { kind: "act-again"; state: InstanceState };

/**
 * An instance EC2 no longer describes (undefined) or describes terminated is gone, whatever the release
 * asked: nothing of it runs or can be started again. A stop is done once the instance is stopped; a
 * termination only once it is terminated, so a stopped instance is terminated again.
 */
export const releaseCheckStep = (
  action: Ec2EndAction,
  state: InstanceState | undefined,
): ReleaseCheckStep => {
  if (state === undefined || state === "terminated") return { kind: "released", outcome: "terminated" };
  if (action === "stop" && state === "stopped") return { kind: "released", outcome: "stopped" };
  if (state === "shutting-down" || state === "stopping") return { kind: "wait", state };
  return { kind: "act-again", state };
};

/**
 * An instance released with `stop` may be started again by anyone who can: once its release took, the
 * launcher stops it again when it runs. A terminated one cannot run again.
 */
export const stopsAgainWhenRunning = (release: { action: Ec2EndAction; outcome?: ReleaseOutcome }): boolean =>
  release.action === "stop" && release.outcome !== undefined;

const ACTION_PAST = { terminate: "terminated", stop: "stopped" } as const satisfies Record<
  Ec2EndAction,
  ReleaseOutcome
>;

/**
 * EC2's refusals to stop or terminate an instance that asking again will not change: a termination or
 * stop protection (OperationNotPermitted), or the launcher's permissions (UnauthorizedOperation: an
 * instance without this stack's tag). The reaper keeps looking, and its ReleaseFailed names the refusal.
 */
const RELEASE_REFUSAL_CODES = new Set(["OperationNotPermitted", "UnauthorizedOperation"]);

export const isReleaseRefusal = ({ code }: Ec2Failure): boolean =>
  code !== undefined && RELEASE_REFUSAL_CODES.has(code);

export const releaseRefusalReason = ({ code, message }: Ec2Failure, action: Ec2EndAction): string =>
  `EC2 refused to ${action} the instance (${code}): ${message}`;

/**
 * Why the release failed, for the requester and the operators, from what the last check found: an
 * instance still up (released again each check, to no avail: EC2's refusal when it gave one) or one
 * still on its way.
 */
export const releaseFailedProblem = (
  instanceId: string,
  action: Ec2EndAction,
  last: Exclude<ReleaseCheckStep, { kind: "released" }>,
  attempts: number,
  refusal?: string,
): string => {
  const found = `Instance ${instanceId} was still ${last.state} after ${attempts} ${attempts === 1 ? "check" : "checks"}: EC2 did not get it ${ACTION_PAST[action]}.`;
  if (refusal) return `${found} ${refusal}`;
  return last.kind === "act-again"
    ? `${found} It may be protected against ${action === "stop" ? "stopping" : "termination"}, or someone keeps starting it.`
    : found;
};
