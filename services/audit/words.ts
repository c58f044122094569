import { END_ACTION_WORDS } from "../../api/request-words.ts";
import type { TimelineEntry } from "../../api/schemas.ts";
import {
  ApprovalEscalated,
  ApprovalPolicyApplied,
  ApprovalStageCompleted,
  ApprovalStageStarted,
  ApprovalVoteRecorded,
  ApproversReminded,
  EmailSuppressed,
  ExtensionDecided,
  ExtensionRequested,
  LeaseExpiring,
  LeaseExtended,
  LeaseStarted,
  ProvisioningFailed,
  ProvisioningStarted,
  ReleaseFailed,
  type ReleaseReason,
  ReleaseRequested,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequestRejected,
  ResourceProvisioned,
  ResourceReleased,
} from "../../events/index.ts";
import type { ResourceType } from "../../events/request.ts";
import { approvalInWords, listInWords, policyNameOf, rejectionInWords } from "../shared/decision-words.ts";
import { formatUtc } from "../shared/request-summary.ts";
import { extensionRoundOf } from "./approval.ts";

/** Requests from before regions name none: created in the stack's own region, which is not said. */
const regionInWords = ({ region }: { region?: string | undefined }) => (region ? ` in ${region}` : "");

/** What failed, per type: the launch of an instance, the creation of a database or a bucket. */
const FAILED_WHAT = {
  ec2: "Launching instance",
  rds: "Creating database",
  s3: "Creating bucket",
} as const satisfies Record<ResourceType, string>;

const stageInWords = ({ index, name, count }: { index: number; name: string; count: number }) =>
  count > 1 ? `Stage ${index + 1} of ${count} (${name})` : `Stage ${name}`;

const personInWords = ({ email, onBehalfOf }: { email: string; onBehalfOf?: string | undefined }) =>
  onBehalfOf ? `${email} on behalf of ${onBehalfOf}` : email;

const approvalsNeeded = (quorum: number) =>
  quorum === 1 ? "1 approval needed" : `${quorum} approvals needed`;

/** Who asked for a release: nobody when the lease ended. */
const RELEASE_ASKED_WORDS = {
  "lease-ended": "The lease ended: release asked",
  "released-by-requester": "Release asked by its requester",
  "released-by-operator": "Release asked by an operator",
  "ended-outside": "Ended outside this tool",
} as const satisfies Record<ReleaseReason, string>;

const RELEASED_WORDS = {
  "lease-ended": "Released at the end of its lease",
  "released-by-requester": "Released by its requester",
  "released-by-operator": "Released by an operator",
  "ended-outside": "Ended outside this tool while its lease ran",
} as const satisfies Record<ReleaseReason, string>;

const byWhom = (by: { email: string } | undefined) => (by ? `, ${by.email}` : "");

const withNote = (words: string, note: string | undefined) => (note ? `${words}: ${note}` : words);

/** The words of an event of an extension's round of approval say which extension they are about. */
const ofRound = (detail: unknown, words: string | undefined): string | undefined => {
  const round = extensionRoundOf(detail);
  return words !== undefined && round !== undefined ? `Extension ${round}: ${words}` : words;
};

/**
 * A timeline entry in words, for the events that explain how a request is decided and what was
 * created for it: "Policy
 * large-instances applies: 2 stages (team leads, then finance)", "lead-a@example.com approved in stage
 * 1 of 2 (team leads): 1 of 2", and what became of its lease. A step of an extension's round of
 * approval says which extension it is about ("Extension 1: Stage team leads asks ..."). Undefined for
 * an event whose name says enough, and for a detail that breaks its contract (the timeline keeps it as
 * delivered).
 */
export const entryInWords = ({ type, detail }: Pick<TimelineEntry, "type" | "detail">): string | undefined =>
  ofRound(detail, approvalStepInWords(type, detail)) ??
  leaseInWords(type, detail) ??
  suppressionInWords(type, detail);

const SUPPRESSED_BECAUSE = {
  BOUNCE: "an earlier email to it bounced for good",
  COMPLAINT: "its owner marked an earlier email as spam",
} as const;

/** An email the notifier did not send: to whom, about what, and why. */
const suppressionInWords = (type: string, detail: unknown): string | undefined => {
  if (type !== EmailSuppressed.detailType) return undefined;
  const suppressed = EmailSuppressed.schema.safeParse(detail).data;
  if (!suppressed) return undefined;
  return `Email about ${suppressed.about} not sent to ${suppressed.recipient}: ${SUPPRESSED_BECAUSE[suppressed.reason]}`;
};

const approvalStepInWords = (type: string, detail: unknown): string | undefined => {
  switch (type) {
    case ApprovalPolicyApplied.detailType: {
      const applied = ApprovalPolicyApplied.schema.safeParse(detail).data;
      if (!applied) return undefined;
      const policy = `Policy ${applied.policy.name} applies`;
      if (applied.outcome === "autoApprove") return `${policy}: approve without asking anyone`;
      if (applied.outcome === "deny") return `${policy}: refuse`;
      const stages = applied.stages ?? [];
      const names = stages.map(({ name }) => name).join(", then ");
      return `${policy}: ${stages.length === 1 ? "1 stage" : `${stages.length} stages`} (${names})`;
    }
    case ApprovalStageStarted.detailType: {
      const started = ApprovalStageStarted.schema.safeParse(detail).data;
      if (!started) return undefined;
      const asked = listInWords(started.approvers.map(personInWords));
      return `${stageInWords(started.stage)} asks ${asked}; ${approvalsNeeded(started.quorum)}`;
    }
    case ApprovalVoteRecorded.detailType: {
      const vote = ApprovalVoteRecorded.schema.safeParse(detail).data;
      if (!vote) return undefined;
      const who = personInWords({ email: vote.approver, onBehalfOf: vote.onBehalfOf });
      const where = stageInWords(vote.stage).replace(/^Stage/, "stage");
      return vote.action === "approve"
        ? `${who} approved in ${where}: ${vote.approvals} of ${vote.quorum}`
        : `${who} rejected in ${where}${vote.reason ? `: ${vote.reason}` : ""}`;
    }
    case ApprovalStageCompleted.detailType: {
      const completed = ApprovalStageCompleted.schema.safeParse(detail).data;
      if (!completed) return undefined;
      return `${stageInWords(completed.stage)} approved by ${listInWords(completed.approvedBy.map(personInWords))}`;
    }
    case ApproversReminded.detailType: {
      const reminded = ApproversReminded.schema.safeParse(detail).data;
      if (!reminded) return undefined;
      const { n, max } = reminded.reminder;
      return `${stageInWords(reminded.stage)} reminds ${listInWords(reminded.approvers)} (reminder ${n} of ${max})`;
    }
    case ApprovalEscalated.detailType: {
      const escalated = ApprovalEscalated.schema.safeParse(detail).data;
      if (!escalated) return undefined;
      return `${stageInWords(escalated.stage)} escalated: also asks ${listInWords(escalated.approvers)}`;
    }
    case RequestApproved.detailType: {
      const approved = RequestApproved.schema.safeParse(detail).data;
      return approved && `Request ${approvalInWords(approved)}`;
    }
    case RequestRejected.detailType: {
      const rejected = RequestRejected.schema.safeParse(detail).data;
      if (!rejected) return undefined;
      // A policy's words hold its reason already; a person's reason follows theirs.
      const words = `Request ${rejectionInWords(rejected)}`;
      return policyNameOf(rejected.approver) === undefined ? `${words}: ${rejected.reason}` : words;
    }
    case RequestExpired.detailType:
      return RequestExpired.schema.safeParse(detail).success
        ? "Request expired: nobody decided in time"
        : undefined;
    case RequestCancelled.detailType: {
      const cancelled = RequestCancelled.schema.safeParse(detail).data;
      if (!cancelled) return undefined;
      const words = `Request withdrawn by its requester, ${cancelled.cancelledBy}`;
      return cancelled.reason ? `${words}: ${cancelled.reason}` : words;
    }
    case ProvisioningStarted.detailType: {
      const started = ProvisioningStarted.schema.safeParse(detail).data;
      if (!started) return undefined;
      const where = regionInWords(started.request);
      if (started.dbInstanceIdentifier) return `Creating database ${started.dbInstanceIdentifier}${where}`;
      if (started.bucketName) return `Creating bucket ${started.bucketName}${where}`;
      return `Launching instance ${started.instanceId}${where}`;
    }
    case ResourceProvisioned.detailType: {
      const provisioned = ResourceProvisioned.schema.safeParse(detail).data;
      if (!provisioned) return undefined;
      const { database, bucket } = provisioned;
      if (database) return `Database ${database.identifier} available at ${database.host}:${database.port}`;
      if (bucket) return `Bucket ${bucket.name} ready in ${bucket.region}`;
      const at = provisioned.privateIp ? ` at ${provisioned.privateIp}` : "";
      return `Instance ${provisioned.instanceId} running${at}`;
    }
    case ProvisioningFailed.detailType: {
      const failed = ProvisioningFailed.schema.safeParse(detail).data;
      if (!failed) return undefined;
      const named = failed.dbInstanceIdentifier ?? failed.bucketName ?? failed.instanceId;
      const what = FAILED_WHAT[failed.request.resource.type];
      return `${what}${named ? ` ${named}` : ""} failed: ${failed.reason}`;
    }
    default:
      return undefined;
  }
};

/**
 * A lease's events in words: "Lease started: ends Mon, 14 Dec 2026, 10:00 UTC (terminate)", "Extension
 * 1 asked by ana@example.com: until ...", "Released at the end of its lease: terminated". Its timers
 * (LeaseTimerDue, ReleaseCheckDue), like the approval's, are left to their names.
 */
const leaseInWords = (type: string, detail: unknown): string | undefined => {
  switch (type) {
    case LeaseStarted.detailType: {
      const started = LeaseStarted.schema.safeParse(detail).data;
      if (!started) return undefined;
      if (started.endsAt === null) return "Lease started: no end";
      return `Lease started: ends ${formatUtc(started.endsAt)} (${END_ACTION_WORDS[started.terms.onEnd]})`;
    }
    case LeaseExpiring.detailType: {
      const expiring = LeaseExpiring.schema.safeParse(detail).data;
      if (!expiring) return undefined;
      return `Reminder ${expiring.n} sent: the lease ends ${formatUtc(expiring.endsAt)} (${END_ACTION_WORDS[expiring.onEnd]})`;
    }
    case ExtensionRequested.detailType: {
      const asked = ExtensionRequested.schema.safeParse(detail).data?.extension;
      if (!asked) return undefined;
      return `Extension ${asked.n} asked by ${asked.askedBy.email}: until ${formatUtc(asked.until)}, instead of ${formatUtc(asked.from)}`;
    }
    case ExtensionDecided.detailType: {
      const decided = ExtensionDecided.schema.safeParse(detail).data;
      if (!decided) return undefined;
      const extension = `Extension ${decided.extension.n}`;
      const { decider, approvals, reason } = decided;
      if (decided.approved)
        return `${extension} ${approvalInWords({ approver: decider, approvals, reason })}`;
      if (decider === undefined) return `${extension} refused: nobody decided in time`;
      // A policy's words hold its reason already; a person's reason follows theirs.
      const words = `${extension} ${rejectionInWords({ approver: decider, reason })}`;
      return policyNameOf(decider) === undefined ? withNote(words, reason) : words;
    }
    case LeaseExtended.detailType: {
      const extended = LeaseExtended.schema.safeParse(detail).data;
      if (!extended) return undefined;
      return `Lease extended: ends ${formatUtc(extended.endsAt)} instead of ${formatUtc(extended.previousEndsAt)}`;
    }
    case ReleaseRequested.detailType: {
      const asked = ReleaseRequested.schema.safeParse(detail).data;
      if (!asked) return undefined;
      const words = `${RELEASE_ASKED_WORDS[asked.reason]}${byWhom(asked.by)} (${END_ACTION_WORDS[asked.action]})`;
      return withNote(words, asked.note);
    }
    case ResourceReleased.detailType: {
      const released = ResourceReleased.schema.safeParse(detail).data;
      if (!released) return undefined;
      const snapshot = released.finalSnapshotIdentifier
        ? `, final snapshot ${released.finalSnapshotIdentifier}`
        : "";
      return `${RELEASED_WORDS[released.reason]}${byWhom(released.by)}: ${released.outcome}${snapshot}`;
    }
    case ReleaseFailed.detailType: {
      const failed = ReleaseFailed.schema.safeParse(detail).data;
      if (!failed) return undefined;
      if (failed.kept) return `Kept: ${failed.problem}`;
      const attempts = failed.attempts === 1 ? "1 attempt" : `${failed.attempts} attempts`;
      return `Release failed after ${attempts}: ${failed.problem}`;
    }
    default:
      return undefined;
  }
};
