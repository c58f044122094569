import { z } from "zod";
import type { Group } from "../../api/access.ts";
import { END_ACTION_DONE_WORDS, leasedResourceInWords, lengthInWords } from "../../api/request-words.ts";
import { pinnedEnvelopeSchemaOf } from "../../events/envelope.ts";
import type { ProvisionedDatabase } from "../../events/launched-resource.ts";
import type { EndAction, LeasedResource } from "../../events/lease.ts";
import {
  ExtensionDecided,
  LeaseExpiring,
  LeaseExtended,
  RELEASED_BEFORE_DECIDED,
  ReleaseFailed,
  ResourceReleased,
} from "../../events/lease-events.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import type { Resource, ResourceType } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { approvalInWords, policyNameOf, rejectionInWords } from "./decision-words.ts";
import type { SummaryRow } from "./layout.ts";
import { requestPageUrl } from "./portal-links.ts";
import { formatUtc, requestSummaryRows, resourceLabel } from "./request-summary.ts";

/**
 * The events the requester hears about: each turn of their request they did not make themselves, and
 * their withdrawal of it, confirmed; and the news of its lease: reminders before the end, an extension
 * granted or refused, the release done or failed (which the operators hear about too).
 */
export const NOTIFIABLE_EVENTS = [
  RequestInvalid,
  RequestApproved,
  RequestRejected,
  RequestExpired,
  RequestCancelled,
  ResourceProvisioned,
  ProvisioningFailed,
  LeaseExpiring,
  LeaseExtended,
  ExtensionDecided,
  ResourceReleased,
  ReleaseFailed,
] as const;

/** Any notifiable event with its envelope: the event id is what makes one email per event. */
export const notifiableEventSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(RequestInvalid),
  pinnedEnvelopeSchemaOf(RequestApproved),
  pinnedEnvelopeSchemaOf(RequestRejected),
  pinnedEnvelopeSchemaOf(RequestExpired),
  pinnedEnvelopeSchemaOf(RequestCancelled),
  pinnedEnvelopeSchemaOf(ResourceProvisioned),
  pinnedEnvelopeSchemaOf(ProvisioningFailed),
  pinnedEnvelopeSchemaOf(LeaseExpiring),
  pinnedEnvelopeSchemaOf(LeaseExtended),
  pinnedEnvelopeSchemaOf(ExtensionDecided),
  pinnedEnvelopeSchemaOf(ResourceReleased),
  pinnedEnvelopeSchemaOf(ReleaseFailed),
]);

export type NotifiableEvent = z.output<typeof notifiableEventSchema>;
export type ReleaseFailedEvent = Extract<NotifiableEvent, { "detail-type": typeof ReleaseFailed.detailType }>;

/** What the notices need of the deployment: where the portal is, for the links to a request's page. */
export interface NoticeSettings {
  publicUrl: string;
}

export type Tone = "ok" | "bad" | "warn";

/** A link the reader acts on, shown as a button. */
export interface NewsAction {
  label: string;
  href: string;
}

/** What a notice says, before a channel renders it (the notifier as an email, chat as a message). */
export interface NewsMessage {
  requestId: string;
  subject: string;
  status: { label: string; tone: Tone };
  heading: string;
  lead: string;
  facts: SummaryRow[];
  actions?: { links: NewsAction[]; note: string };
}

/** The facts given as label/value pairs, leaving out those without a value. */
const factsOf = (...facts: (readonly [label: string, value: string | undefined])[]): SummaryRow[] =>
  facts.flatMap(([label, value]) => (value === undefined || value === "" ? [] : [{ label, value }]));

/** A resource of each type in words: what it is, how it comes to be, and what it is once ready. */
const LAUNCH_WORDS = {
  ec2: { what: "instance", verb: "launched", doing: "launching", ready: "running" },
  rds: { what: "database", verb: "created", doing: "creating", ready: "available" },
  s3: { what: "bucket", verb: "created", doing: "creating", ready: "ready" },
} as const satisfies Record<ResourceType, { what: string; verb: string; doing: string; ready: string }>;

type Provisioned = z.output<typeof ResourceProvisioned.schema>;
type Failed = z.output<typeof ProvisioningFailed.schema>;
type MessageBody = Omit<NewsMessage, "requestId">;

/**
 * How the requester reads the database's password: RDS keeps it in Secrets Manager, never in an email.
 * The secret's ARN names its region (arn:aws:secretsmanager:<region>:...), which the CLI must call, and
 * holds a `!` (`secret:rds!db-...`), which an interactive shell would expand unless quoted.
 */
const secretHowTo = (secretArn: string): string => {
  const region = secretArn.split(":")[3];
  return `aws secretsmanager get-secret-value --secret-id '${secretArn}'${region ? ` --region ${region}` : ""} --query SecretString --output text`;
};

/** The engine's own client, with the user name and password from the secret. */
const connectCommand = (
  resource: Resource,
  { host, port, databaseName }: ProvisionedDatabase,
): string | undefined => {
  if (resource.type !== "rds") return undefined;
  return resource.engine === "postgres"
    ? `psql "host=${host} port=${port} dbname=${databaseName ?? "postgres"} user=<username from the secret>"`
    : `mysql --host=${host} --port=${port} --user=<username from the secret> --password${databaseName ? ` ${databaseName}` : ""}`;
};

/** The ready resource, in the words of its type: what the requester connects to or puts objects in. */
const provisionedMessageOf = (detail: Provisioned): MessageBody => {
  const { requestId, request, provisionedAt } = detail;
  const since = formatUtc(provisionedAt);
  const summary = requestSummaryRows(request);
  if (detail.database) {
    const { identifier, host, port, databaseName, masterUserSecretArn } = detail.database;
    return {
      subject: `Request ${requestId}: database ${identifier} is available`,
      status: { label: "Available", tone: "ok" },
      heading: "Your database is available",
      lead: `The database you asked for in request ${requestId} is available. Its master user's name and password are in AWS Secrets Manager, not in this email: read them with the command below, with AWS credentials allowed to read the secret.`,
      facts: [
        ...factsOf(
          ["DB instance", identifier],
          ["Endpoint", `${host}:${port}`],
          ["Database name", databaseName],
          ["Connect", connectCommand(request.resource, detail.database)],
          ["Credentials secret", masterUserSecretArn],
          ["Read the credentials", secretHowTo(masterUserSecretArn)],
          ["Available since", since],
        ),
        ...summary,
      ],
    };
  }
  if (detail.bucket) {
    const { name, arn, region } = detail.bucket;
    return {
      subject: `Request ${requestId}: bucket ${name} is ready`,
      status: { label: "Ready", tone: "ok" },
      heading: "Your bucket is ready",
      lead: `The bucket you asked for in request ${requestId} is ready. Public access is blocked, and it refuses requests without TLS.`,
      facts: [
        ...factsOf(["Bucket", name], ["ARN", arn], ["Bucket region", region], ["Ready since", since]),
        ...summary,
      ],
    };
  }
  return {
    subject: `Request ${requestId}: instance ${detail.instanceId} is running`,
    status: { label: "Running", tone: "ok" },
    heading: "Your instance is running",
    lead: `The instance you asked for in request ${requestId} is up and running.`,
    facts: [
      ...factsOf(
        ["Instance ID", detail.instanceId],
        ["Private IP", detail.privateIp ?? "Not reported by EC2"],
        ["Running since", since],
      ),
      ...summary,
    ],
  };
};

const failedMessageOf = (detail: Failed): MessageBody => {
  const { requestId, request, errorCode, reason, failedAt } = detail;
  const { what, verb, doing } = LAUNCH_WORDS[request.resource.type];
  return {
    subject: `Request ${requestId}: the ${what} could not be ${verb}`,
    status: { label: "Failed", tone: "bad" },
    heading: `Your ${what} could not be ${verb}`,
    lead: `Request ${requestId} was approved, but ${doing} its ${what} failed.`,
    facts: [
      ...factsOf(
        ["Reason", reason],
        ["Error code", errorCode],
        ["Instance ID", detail.instanceId],
        ["DB instance", detail.dbInstanceIdentifier],
        ["Bucket", detail.bucketName],
        ["Failed", formatUtc(failedAt)],
      ),
      ...requestSummaryRows(request),
    ],
  };
};

/** What happens to the resource at the end of its lease, told to its requester. */
const AT_THE_END: Record<EndAction, string> = {
  terminate: "The instance will be terminated: it cannot be started again, and what is on it is gone.",
  stop: "The instance will be stopped: it keeps its volumes (which still cost) and can be started again.",
  "snapshot-and-delete":
    "The database will be deleted after a final snapshot is taken, from which it can be restored.",
  "delete-without-snapshot":
    "The database will be deleted without a final snapshot: its data is gone for good.",
  "delete-if-empty":
    "The bucket will be deleted if it is empty; if it still holds objects it is kept, and you are told.",
};

/** The resource's own name, the short form subjects use: "instance i-0abc…", "bucket team-logs". */
const resourceNameOf = (resource: LeasedResource): string => {
  switch (resource.type) {
    case "ec2":
      return `instance ${resource.instanceId}`;
    case "rds":
      return `database ${resource.dbInstanceIdentifier}`;
    case "s3":
      return `bucket ${resource.bucketName}`;
  }
};

const RELEASED_WORDS = { terminated: "terminated", stopped: "stopped", deleted: "deleted" } as const;

type Expiring = z.output<typeof LeaseExpiring.schema>;
type Extended = z.output<typeof LeaseExtended.schema>;
type ExtensionOutcome = z.output<typeof ExtensionDecided.schema>;
type Released = z.output<typeof ResourceReleased.schema>;
type NotReleased = z.output<typeof ReleaseFailed.schema>;

const expiringMessageOf = (detail: Expiring, { publicUrl }: NoticeSettings): MessageBody => {
  const { requestId, request, resource, endsAt, onEnd, remindedAt } = detail;
  const inHowLong = `in ${lengthInWords(Date.parse(endsAt) - Date.parse(remindedAt))}`;
  const when = formatUtc(endsAt);
  const name = resourceNameOf(resource);
  return {
    subject: `Request ${requestId}: your ${name} ends ${inHowLong}, ${when}`,
    status: { label: "Ending soon", tone: "warn" },
    heading: `Your ${name} ends ${inHowLong}`,
    lead: `The lease of the ${leasedResourceInWords(resource)} you asked for in request ${requestId} ends on ${when}, ${inHowLong}. ${AT_THE_END[onEnd]} Extend the lease if you still need it, or release it now if you are done with it.`,
    facts: [
      ...factsOf(
        ["Resource ID", leasedResourceInWords(resource)],
        ["Ends", `${when} (${inHowLong})`],
        ["At the end", END_ACTION_DONE_WORDS[onEnd]],
      ),
      ...requestSummaryRows(request),
    ],
    actions: {
      links: [
        { label: "Extend the lease", href: requestPageUrl(publicUrl, requestId, "extend") },
        { label: "Release now", href: requestPageUrl(publicUrl, requestId, "release") },
      ],
      note: "Each link opens the request's page in the portal, where you sign in first; nothing happens until you confirm there.",
    },
  };
};

const extendedMessageOf = (detail: Extended): MessageBody => {
  const { requestId, request, resource, extension, previousEndsAt, endsAt, decider } = detail;
  const name = resourceNameOf(resource);
  return {
    subject: `Request ${requestId}: the lease of your ${name} now ends ${formatUtc(endsAt)}`,
    status: { label: "Extended", tone: "ok" },
    heading: "Your lease was extended",
    lead: `The lease of the ${leasedResourceInWords(resource)} of request ${requestId} was extended: it was ${approvalInWords({ approver: decider })}, and now ends on ${formatUtc(endsAt)} instead of ${formatUtc(previousEndsAt)}. You are reminded again before the new end.`,
    facts: [
      ...factsOf(
        ["Resource ID", leasedResourceInWords(resource)],
        ["Ends", formatUtc(endsAt)],
        ["Ended before", formatUtc(previousEndsAt)],
        ["Why extended", extension.justification],
      ),
      ...requestSummaryRows(request),
    ],
  };
};

/** A refused extension: by a policy, by an approver (with their reason), or by nobody deciding in time. */
const extensionRefusedMessageOf = (detail: ExtensionOutcome): MessageBody => {
  const { requestId, request, extension, decider, reason, decidedAt } = detail;
  const byPolicy = policyNameOf(decider) !== undefined;
  const verdict = decider === undefined ? "not decided in time" : byPolicy ? "refused" : "rejected";
  const how =
    decider === undefined
      ? "not decided in time: its approval expired before enough approvers answered"
      : rejectionInWords({ approver: decider, reason });
  return {
    subject: `Request ${requestId}: your extension was ${verdict}`,
    status: { label: "Extension refused", tone: "bad" },
    heading: `Your extension was ${verdict}`,
    lead: `Your request to extend the lease of ${resourceLabel(request)} (request ${requestId}) to ${formatUtc(extension.until)} was ${how}. The lease still ends on ${formatUtc(extension.from)}.`,
    facts: [
      ...factsOf(
        // A policy's reason is in the lead already; a person's is theirs to give.
        ["Reason", byPolicy || decider === undefined ? undefined : reason || "No reason given"],
        ["Asked until", formatUtc(extension.until)],
        ["Your justification", extension.justification],
        ["Decided", formatUtc(decidedAt)],
      ),
      ...requestSummaryRows(request),
    ],
  };
};

/** Why the resource was released, as its requester reads it. */
const releaseWhy = ({ reason, by }: Pick<Released, "reason" | "by">): string => {
  switch (reason) {
    case "lease-ended":
      return "its lease ended";
    case "released-by-requester":
      return "you released it";
    case "released-by-operator":
      return by ? `an operator, ${by.email}, released it` : "an operator released it";
    case "ended-outside":
      return "it was ended outside this tool (in the AWS console or by another tool) while its lease ran";
  }
};

const releasedMessageOf = (detail: Released): MessageBody => {
  const { requestId, request, resource, outcome, finalSnapshotIdentifier, releasedAt } = detail;
  const name = resourceNameOf(resource);
  const done = RELEASED_WORDS[outcome];
  return {
    subject: `Request ${requestId}: your ${name} was ${done}`,
    status: { label: "Released", tone: "ok" },
    heading: `Your ${name} was ${done}`,
    lead: `The ${leasedResourceInWords(resource)} of request ${requestId} was ${done} because ${releaseWhy(detail)}.${finalSnapshotIdentifier ? ` Its final snapshot, ${finalSnapshotIdentifier}, is kept: the database can be restored from it.` : ""}`,
    facts: [
      ...factsOf(
        ["Resource ID", leasedResourceInWords(resource)],
        ["Outcome", done],
        ["Final snapshot", finalSnapshotIdentifier],
        ["Released", formatUtc(releasedAt)],
      ),
      ...requestSummaryRows(request),
    ],
  };
};

const releaseFailedMessageOf = (detail: NotReleased): MessageBody => {
  const { requestId, request, resource, problem, kept, attempts, failedAt } = detail;
  const name = resourceNameOf(resource);
  const why = releaseWhy(detail);
  const facts = factsOf(
    ["Resource ID", leasedResourceInWords(resource)],
    ["Problem", problem],
    ["Attempts", `${attempts}`],
    ["Failed", formatUtc(failedAt)],
  );
  if (kept) {
    return {
      subject: `Request ${requestId}: your ${name} was kept: it holds objects`,
      status: { label: "Kept", tone: "warn" },
      heading: `Your ${name} was kept`,
      lead: `The ${leasedResourceInWords(resource)} of request ${requestId} was to be released because ${why}, but it was kept because it holds objects. Empty it and release it again, or ask an operator.`,
      facts: [...facts, ...requestSummaryRows(request)],
    };
  }
  return {
    subject: `Request ${requestId}: your ${name} could not be released`,
    status: { label: "Release failed", tone: "bad" },
    heading: `Your ${name} could not be released`,
    lead: `The ${leasedResourceInWords(resource)} of request ${requestId} was to be released because ${why}, but after ${attempts} ${attempts === 1 ? "attempt" : "attempts"} it is still not confirmed ${END_ACTION_DONE_WORDS[detail.action]}: ${problem}. An operator has been told.`,
    facts: [...facts, ...requestSummaryRows(request)],
  };
};

/**
 * What to tell the requester about the event, in words every channel renders (email, a chat message);
 * undefined when the event is nothing to tell (an approved extension, told by its LeaseExtended; one
 * closed by the release, told by its ResourceReleased).
 */
export const requesterNewsOf = (
  event: NotifiableEvent,
  settings: NoticeSettings,
): NewsMessage | undefined => {
  const { requestId } = event.detail;
  switch (event["detail-type"]) {
    case RequestInvalid.detailType:
      return {
        requestId,
        subject: `Request ${requestId} was not accepted`,
        status: { label: "Not accepted", tone: "bad" },
        heading: "Your request was not accepted",
        lead: `Request ${requestId} has fields that need fixing. Correct them and submit the request again.`,
        facts: [
          { label: "Request id", value: requestId },
          // A refusal has an id of its own; the requester knows the submission by the id it was sent with.
          ...factsOf(["Sent as", event.detail.givenRequestId]),
          ...event.detail.errors.map(({ field, message }) => ({
            label: field || "(request)",
            value: message,
          })),
        ],
      };
    case RequestApproved.detailType: {
      const { detail } = event;
      const byPolicy = policyNameOf(detail.approver) !== undefined;
      const { what, verb, ready } = LAUNCH_WORDS[detail.request.resource.type];
      return {
        requestId,
        subject: `Request ${requestId} was ${byPolicy ? "auto-approved" : "approved"}`,
        status: { label: "Approved", tone: "ok" },
        heading: "Your request was approved",
        lead: `Request ${requestId} was ${approvalInWords(detail)}. You get another email once its ${what} is ${ready}, or if it cannot be ${verb}.`,
        facts: [
          // A policy's reason is in the lead already; a person's is theirs to give.
          ...factsOf(
            ["Reason", byPolicy ? undefined : detail.reason],
            ["Decided", formatUtc(detail.decidedAt)],
          ),
          ...requestSummaryRows(detail.request),
        ],
      };
    }
    case RequestRejected.detailType: {
      const { detail } = event;
      const byPolicy = policyNameOf(detail.approver) !== undefined;
      return {
        requestId,
        subject: `Request ${requestId} was ${byPolicy ? "refused" : "rejected"}`,
        status: { label: byPolicy ? "Refused" : "Rejected", tone: "bad" },
        heading: `Your request was ${byPolicy ? "refused" : "rejected"}`,
        lead: `Request ${requestId} was ${rejectionInWords(detail)}.`,
        facts: [
          ...factsOf(
            ["Reason", byPolicy ? undefined : detail.reason || "No reason given"],
            ["Decided", formatUtc(detail.decidedAt)],
          ),
          ...requestSummaryRows(detail.request),
        ],
      };
    }
    case RequestExpired.detailType: {
      const { expiresAt, request } = event.detail;
      return {
        requestId,
        subject: `Request ${requestId} expired without a decision`,
        status: { label: "Expired", tone: "warn" },
        heading: "Your request expired",
        lead: `Nobody decided on request ${requestId} before its approval links expired. Submit it again if you still need the resource.`,
        facts: [...factsOf(["Expired", formatUtc(expiresAt)]), ...requestSummaryRows(request)],
      };
    }
    case RequestCancelled.detailType: {
      const { reason, cancelledAt, request } = event.detail;
      return {
        requestId,
        subject: `You withdrew request ${requestId}`,
        status: { label: "Withdrawn", tone: "warn" },
        heading: "You withdrew your request",
        lead: `You withdrew request ${requestId}: nothing will be provisioned, and the approvers still asked have been told.`,
        facts: [
          ...factsOf(["Reason", reason], ["Withdrawn", formatUtc(cancelledAt)]),
          ...requestSummaryRows(request),
        ],
      };
    }
    case ResourceProvisioned.detailType:
      return { requestId, ...provisionedMessageOf(event.detail) };
    case ProvisioningFailed.detailType:
      return { requestId, ...failedMessageOf(event.detail) };
    case LeaseExpiring.detailType:
      return { requestId, ...expiringMessageOf(event.detail, settings) };
    case LeaseExtended.detailType:
      return { requestId, ...extendedMessageOf(event.detail) };
    case ExtensionDecided.detailType:
      // An approved extension is told by the LeaseExtended that follows it, with the new end; one closed
      // by the release, by the ResourceReleased that follows it.
      return event.detail.approved || event.detail.reason === RELEASED_BEFORE_DECIDED
        ? undefined
        : { requestId, ...extensionRefusedMessageOf(event.detail) };
    case ResourceReleased.detailType:
      return { requestId, ...releasedMessageOf(event.detail) };
    case ReleaseFailed.detailType:
      return { requestId, ...releaseFailedMessageOf(event.detail) };
  }
};

/** The group whose members hear of every release that failed: someone must look at the resource. */
export const OPERATORS_GROUP = "operators" satisfies Group;

/** The events the operators are told of, besides the requester: a release that did not happen. */
export const tellsOperators = (event: NotifiableEvent): event is ReleaseFailedEvent =>
  event["detail-type"] === ReleaseFailed.detailType;

/** What the operators are told of a failed release: what was to be done, what went wrong, and whose it is. */
export const operatorNewsOf = ({ detail }: ReleaseFailedEvent): NewsMessage => {
  const { requestId, request, resource, problem, kept, attempts, failedAt } = detail;
  const name = resourceNameOf(resource);
  const whose = `${resourceLabel(request)} of ${request.requester.email}, request ${requestId}`;
  return {
    requestId,
    subject: kept
      ? `Kept: ${name} of request ${requestId} holds objects`
      : `Release failed: ${name} of request ${requestId}`,
    status: kept ? { label: "Kept", tone: "warn" } : { label: "Release failed", tone: "bad" },
    heading: kept ? `Kept: ${name}` : `Release failed: ${name}`,
    lead: kept
      ? `The ${leasedResourceInWords(resource)} (${whose}) was kept instead of ${END_ACTION_DONE_WORDS[detail.action]} because it holds objects. Its requester was told to empty it and release it again, or to ask an operator.`
      : `The ${leasedResourceInWords(resource)} (${whose}) is still not confirmed ${END_ACTION_DONE_WORDS[detail.action]} after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}: ${problem}. It may still be there, and cost: look at it in its region, and have it ${END_ACTION_DONE_WORDS[detail.action]} by hand if it is.`,
    facts: [
      ...factsOf(
        ["Resource ID", leasedResourceInWords(resource)],
        ["To be", END_ACTION_DONE_WORDS[detail.action]],
        ["Why", releaseWhy(detail)],
        ["Problem", problem],
        ["Attempts", `${attempts}`],
        ["Failed", formatUtc(failedAt)],
      ),
      ...requestSummaryRows(request),
    ],
  };
};

/** Who the requester is, by the event: an invalid request names them on its own. */
export const requesterEmailOf = (event: NotifiableEvent): string | undefined =>
  event["detail-type"] === RequestInvalid.detailType
    ? event.detail.requesterEmail
    : event.detail.request.requester.email;
