import { z } from "zod";
import { pinnedEnvelopeSchemaOf } from "../../events/envelope.ts";
import type { ProvisionedDatabase } from "../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import type { Resource, ResourceType } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { approvalInWords, policyNameOf, rejectionInWords } from "../shared/decision-words.ts";
import { html, type SafeHtml } from "../shared/html.ts";
import { renderSummary, type SummaryRow, summaryAsText, themedDocument } from "../shared/layout.ts";
import { formatUtc, requestSummaryRows } from "../shared/request-summary.ts";

/**
 * The events the requester hears about: each turn of their request they did not make themselves, and
 * their withdrawal of it, confirmed.
 */
export const NOTIFIABLE_EVENTS = [
  RequestInvalid,
  RequestApproved,
  RequestRejected,
  RequestExpired,
  RequestCancelled,
  ResourceProvisioned,
  ProvisioningFailed,
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
]);

export type NotifiableEvent = z.output<typeof notifiableEventSchema>;

export interface Notice {
  requestId: string;
  /** Absent when the event names nobody to tell (an invalid request without a usable email). */
  to?: string;
  subject: string;
  text: string;
  html: SafeHtml;
}

type Tone = "ok" | "bad" | "warn";

/** What an email says, before it is rendered as text and as HTML. */
interface Message {
  requestId: string;
  subject: string;
  status: { label: string; tone: Tone };
  heading: string;
  lead: string;
  facts: SummaryRow[];
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
type MessageBody = Omit<Message, "requestId">;

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

const messageOf = (event: NotifiableEvent): Message => {
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
  }
};

const FOOTER = "You get this email because you asked for this resource.";

const renderText = ({ heading, lead, facts, requestId }: Message): string =>
  [heading, "", lead, "", summaryAsText(facts), "", "--", `Request ${requestId}. ${FOOTER}`, ""].join("\n");

const renderHtml = ({ subject, status, heading, lead, facts, requestId }: Message): SafeHtml =>
  themedDocument(
    subject,
    html`<div class="card">
<p><span class="badge ${status.tone}">${status.label}</span></p>
<h1>${heading}</h1>
<p>${lead}</p>
${renderSummary(facts)}
</div>
<p class="muted">Request ${requestId}. ${FOOTER}</p>`,
  );

/** Who to tell about the event, and the email that tells them. */
export const noticeOf = (event: NotifiableEvent): Notice => {
  const message = messageOf(event);
  return {
    requestId: message.requestId,
    to:
      event["detail-type"] === RequestInvalid.detailType
        ? event.detail.requesterEmail
        : event.detail.request.requester.email,
    subject: message.subject,
    text: renderText(message),
    html: renderHtml(message),
  };
};
