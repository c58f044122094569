import type { TimelineEntry } from "../../api/schemas.ts";
import {
  ApprovalEscalated,
  ApprovalPolicyApplied,
  ApprovalStageCompleted,
  ApprovalStageStarted,
  ApprovalVoteRecorded,
  ApproversReminded,
  ProvisioningFailed,
  ProvisioningStarted,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequestRejected,
  ResourceProvisioned,
} from "../../events/index.ts";
import type { ResourceType } from "../../events/request.ts";
import { approvalInWords, listInWords, policyNameOf, rejectionInWords } from "../shared/decision-words.ts";

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

/**
 * A timeline entry in words, for the events that explain how a request is decided and what was
 * created for it: "Policy
 * large-instances applies: 2 stages (team leads, then finance)", "lead-a@example.com approved in stage
 * 1 of 2 (team leads): 1 of 2". Undefined for an event whose name says enough, and for a detail that
 * breaks its contract (the timeline keeps it as delivered).
 */
export const entryInWords = ({
  type,
  detail,
}: Pick<TimelineEntry, "type" | "detail">): string | undefined => {
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
