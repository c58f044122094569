import type { z } from "zod";
import type { DetailInputOf, DetailOf } from "../../events/contract.ts";
import { parseDuration } from "../../events/duration.ts";
import { NO_END, type RequestedLease } from "../../events/lease-duration.ts";
import type { Region } from "../../events/region.ts";
import { type AcceptedRequest, emailSchema, type Resource } from "../../events/request.ts";
import type { RequestAccepted } from "../../events/request-accepted.ts";
import {
  canonicalJson,
  deriveRequestId,
  givenRequestIdOf,
  isPlainObject,
  refusalIdOf,
  sha256Hex,
} from "../../events/request-id.ts";
import type { RequestInvalid } from "../../events/request-invalid.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { type FieldError, fieldErrorsOf } from "../../events/validation.ts";

/** The request without its id: what "the same request" means when an id is reused or derived. */
export type RequestContent = Omit<AcceptedRequest, "requestId">;

export type ResourceRequestedDetail = DetailOf<typeof ResourceRequested>;

/**
 * Hard caps on what a refusal repeats back: a detail with thousands of unknown fields (or huge field
 * names) must still fit one event, since a refusal that cannot be published would never go away.
 */
export const MAX_REPORTED_ERRORS = 20;
const MAX_REPORTED_FIELD_LENGTH = 200;

/** The operator's rules beyond the contract (services/intake/config.ts reads them from the settings). */
export interface IntakeRules {
  allowedRegions: readonly Region[];
  /** One of allowedRegions: where a request that names no region is created. */
  defaultRegion: Region;
  /** When set, every bucket's name starts with it (the deployment's permissions may count on it). */
  bucketNamePrefix?: string;
  /** When set, the only subnets an EC2 request may name (the launcher's role may launch into no other). */
  allowedSubnetIds?: readonly string[];
  /** The shortest and longest lease a request may ask for (LEASE_MIN, LEASE_MAX), as ISO 8601 durations. */
  lease: { min: string; max: string };
}

/** Where a resource is created, what it is and for how long, before the operator's rules are applied. */
export interface Placement {
  resource: Resource;
  region?: Region;
  /** Absent when pricing a resource: an estimate is for a month whatever the lease. */
  lease?: RequestedLease;
}

/**
 * Why a lease is outside the deployment's bounds, if it is. No end is the policy's to allow or refuse
 * (decision settles it), so intake passes it on.
 */
const leaseErrorOf = (
  lease: RequestedLease | undefined,
  bounds: IntakeRules["lease"],
): string | undefined => {
  if (lease === undefined || lease === NO_END) return undefined;
  if (parseDuration(lease) < parseDuration(bounds.min)) return `must be at least ${bounds.min}`;
  if (parseDuration(lease) > parseDuration(bounds.max)) return `must be at most ${bounds.max}`;
  return undefined;
};

/**
 * The problems of a resource, region and lease the contract accepts but the operator's rules do not: a
 * region not allowed, a bucket named without the deployment's prefix, a subnet not allowed, a lease
 * shorter than LEASE_MIN or longer than LEASE_MAX.
 */
export const ruleErrorsOf = ({ resource, region, lease }: Placement, rules: IntakeRules): FieldError[] => {
  const leaseError = leaseErrorOf(lease, rules.lease);
  return [
    ...(region !== undefined && !rules.allowedRegions.includes(region)
      ? [{ field: "region", message: `must be one of ${rules.allowedRegions.join(", ")}` }]
      : []),
    ...(resource.type === "s3" &&
    rules.bucketNamePrefix !== undefined &&
    !resource.bucketName.startsWith(rules.bucketNamePrefix)
      ? [{ field: "resource.bucketName", message: `must start with ${rules.bucketNamePrefix}` }]
      : []),
    ...(resource.type === "ec2" &&
    resource.subnetId !== undefined &&
    rules.allowedSubnetIds !== undefined &&
    !rules.allowedSubnetIds.includes(resource.subnetId)
      ? [{ field: "resource.subnetId", message: `must be one of ${rules.allowedSubnetIds.join(", ")}` }]
      : []),
    ...(leaseError ? [{ field: "lease", message: leaseError }] : []),
  ];
};

/** The region a request is created in: its own, or the default. */
export const regionOf = ({ region }: { region?: Region }, rules: IntakeRules): Region =>
  region ?? rules.defaultRegion;

export type Admission = { ok: true; detail: ResourceRequestedDetail } | { ok: false; errors: FieldError[] };

/**
 * A valid detail under the operator's rules, its region filled in before its content is hashed:
 * leaving the region out and naming the default are the same content, so an id given with one form
 * and reused with the other is a repeat, not a reuse. An id derived for a detail without one is from
 * the detail as sent (see `decide`), so there the two forms are two requests, as `requestIdOf` says.
 */
export const admit = (detail: ResourceRequestedDetail, rules: IntakeRules): Admission => {
  const errors = ruleErrorsOf(detail, rules);
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, detail: { ...detail, region: regionOf(detail, rules) } };
};

/** Identifies a request's content: equal hashes mean the same request, whoever sent it and how. */
export const contentHashOf = (content: RequestContent): string => sha256Hex(canonicalJson(content));

export const contentOf = ({ requestId: _id, ...content }: ResourceRequestedDetail): RequestContent => content;

/** A request with its id settled (given, generated or derived) and the hash of its content. */
export interface IdentifiedRequest {
  requestId: string;
  request: AcceptedRequest;
  contentHash: string;
}

/** Settles a valid detail's id: the given one, or `makeId` of its content (random over HTTP, derived on the bus). */
export const identify = (
  detail: ResourceRequestedDetail,
  makeId: (content: RequestContent) => string,
): IdentifiedRequest => {
  const content = contentOf(detail);
  const requestId = detail.requestId ?? makeId(content);
  return { requestId, request: { requestId, ...content }, contentHash: contentHashOf(content) };
};

/**
 * A refused submission. It goes by an id of its own, from the id of the event that carried it: a
 * refusal never lands on the request whose id the detail named (someone else's, maybe), and each
 * refused event is answered once however often it is delivered.
 */
export interface Rejection {
  /** The refusal's own id, `refusalIdOf(sourceEventId)`. */
  requestId: string;
  /** The id the detail went by, for its publisher to match the refusal with; see RequestInvalid. */
  givenRequestId?: string;
  requesterEmail?: string;
  errors: FieldError[];
}

export type IntakeDecision = ({ kind: "accept" } & IdentifiedRequest) | ({ kind: "reject" } & Rejection);

const reportable = (errors: FieldError[]): FieldError[] => {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).map((error) => ({
    ...error,
    field:
      error.field.length > MAX_REPORTED_FIELD_LENGTH
        ? `${error.field.slice(0, MAX_REPORTED_FIELD_LENGTH)}…`
        : error.field,
  }));
  const hidden = errors.length - shown.length;
  return hidden > 0 ? [...shown, { field: "", message: `and ${hidden} more problems` }] : shown;
};

/** A part of a detail that failed the schema, kept only if it is itself valid. */
const validPart = <S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined => {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
};

/**
 * What intake does with a `ResourceRequested` detail from anywhere: accept it under its id (given or
 * derived from its content), or refuse it, under the refusal's own id, with every field's reason.
 * Never throws, whatever the detail.
 */
export const decide = (detail: unknown, sourceEventId: string, rules: IntakeRules): IntakeDecision => {
  const refuse = (errors: FieldError[]): IntakeDecision => {
    const fields = isPlainObject(detail) ? detail : {};
    const requester = isPlainObject(fields.requester) ? fields.requester : {};
    return {
      kind: "reject",
      requestId: refusalIdOf(sourceEventId),
      givenRequestId: givenRequestIdOf(detail),
      requesterEmail: validPart(emailSchema, requester.email),
      errors: reportable(errors),
    };
  };
  const parsed = ResourceRequested.schema.safeParse(detail);
  if (!parsed.success) return refuse(fieldErrorsOf(parsed.error));
  const admission = admit(parsed.data, rules);
  if (!admission.ok) return refuse(admission.errors);
  // The id is derived from the detail as it was sent, as `requestIdOf` (the public contract) derives it:
  // a publisher that names no region cannot know the default. The content compared for reuse has it.
  const sent = contentOf(parsed.data);
  return { kind: "accept", ...identify(admission.detail, () => deriveRequestId(sent)) };
};

export const REUSED_ID_MESSAGE = "was already used for a request with different content";

/**
 * A valid detail whose id already names a different request. The refusal does not say whose: that
 * would tell a stranger about someone else's request.
 */
export const reusedIdRejection = (
  { requestId, request }: IdentifiedRequest,
  sourceEventId: string,
): Rejection => ({
  requestId: refusalIdOf(sourceEventId),
  givenRequestId: requestId,
  requesterEmail: request.requester.email,
  errors: [{ field: "requestId", message: REUSED_ID_MESSAGE }],
});

export const acceptedDetail = (
  request: AcceptedRequest,
  acceptedAt: string,
): DetailInputOf<typeof RequestAccepted> => ({ requestId: request.requestId, request, acceptedAt });

export const invalidDetail = (
  { requestId, givenRequestId, requesterEmail, errors }: Rejection,
  sourceEventId: string,
  rejectedAt: string,
): DetailInputOf<typeof RequestInvalid> => ({
  requestId,
  ...(givenRequestId && { givenRequestId }),
  ...(requesterEmail && { requesterEmail }),
  errors,
  sourceEventId,
  rejectedAt,
});
