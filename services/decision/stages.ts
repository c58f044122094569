import type { z } from "zod";
import type { approverSpecSchema, policyRefSchema, stageRefSchema } from "../../events/approval-policy.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import type { Approvers, Stage } from "../../policy/index.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import type { Directory } from "../shared/directory.ts";

/**
 * How a request's approval proceeds: its stages as the policy names their approvers, who is asked in
 * each (resolved from the directory when the stage starts), and who may still count.
 */

export type PolicyRef = z.output<typeof policyRefSchema>;
export type StageRef = z.output<typeof stageRefSchema>;
export type ApproverSpec = z.output<typeof approverSpecSchema>;

/** A stage as the policy says it, kept on the approval so later stages and re-checks need no policy file. */
export type PlannedStage = Stage;

/**
 * Who asks an approval that no policy planned (one asked before policies, known only from its
 * ApprovalRequested): the group the old flat list of approvers became.
 */
export const DEFAULT_APPROVERS: Approvers = { groups: ["approvers"], emails: [] };

/** A counted approval: who, in which stage, when. */
export interface Vote {
  stage: number;
  approver: string;
  approverSubject?: string;
  /** The approver they stood in for, when they were asked as a delegate. */
  onBehalfOf?: string;
  reason?: string;
  decidedAt: string;
}

/** The requester as stages exclude them: by canonical mailbox and, when known, by subject. */
export interface RequesterIdentity {
  email: string;
  subject?: string;
}

export const requesterOf = (request: AcceptedRequest): RequesterIdentity => ({
  email: request.requester.email,
  subject: request.requester.subject,
});

/** A stage's approvers for one request, and how many of them must approve. */
export interface ResolvedStage {
  ref: StageRef;
  approvers: string[];
  quorum: number;
  /** The approvers asked as delegates, each with the approver they stand in for (see delegations.ts). */
  delegates?: Record<string, string>;
}

/** Everyone a spec names: members of its groups, then its emails; lower-case, each once, with their subject. */
const candidatesOf = async (
  directory: Directory,
  spec: Approvers,
): Promise<{ email: string; subject?: string }[]> => {
  const members = (await Promise.all(spec.groups.map((group) => directory.membersOf(group)))).flat();
  const byEmail = new Map<string, { email: string; subject?: string }>();
  const named: { email: string; subject?: string }[] = [
    ...members,
    ...spec.emails.map((email) => ({ email })),
  ];
  for (const { email, subject } of named) {
    const key = email.toLowerCase();
    if (!byEmail.has(key)) byEmail.set(key, { email: key, ...(subject !== undefined && { subject }) });
  }
  return [...byEmail.values()];
};

/**
 * Who a stage asks for this request: everyone its spec names now, never the requester (by mailbox or
 * subject) and never anyone who already approved in an earlier stage (nobody counts twice). "all" asks
 * every one of them to approve.
 */
export const resolveStage = async (
  directory: Directory,
  plan: readonly PlannedStage[],
  index: number,
  requester: RequesterIdentity,
  alreadyCounted: readonly string[],
): Promise<ResolvedStage> => {
  const stage = plan[index];
  if (!stage) throw new RangeError(`The plan has no stage ${index}`);
  const requesterMailbox = canonicalEmail(requester.email);
  const approvers = (await candidatesOf(directory, stage.approvers))
    .filter(
      ({ email, subject }) =>
        canonicalEmail(email) !== requesterMailbox &&
        (requester.subject === undefined || subject !== requester.subject) &&
        !alreadyCounted.includes(email),
    )
    .map(({ email }) => email);
  return {
    ref: { index, name: stage.name, count: plan.length },
    approvers,
    quorum: stage.quorum === "all" ? approvers.length : stage.quorum,
  };
};

/** Why a stage cannot complete, as the requester reads it; undefined when enough people can approve. */
export const whyStageCannotComplete = (
  { ref, approvers, quorum }: ResolvedStage,
  stage: PlannedStage,
): string | undefined => {
  // "all" of nobody is no approval at all: a stage asks at least one person.
  const needed = stage.quorum === "all" ? Math.max(quorum, 1) : quorum;
  if (approvers.length >= needed) return undefined;
  const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return `needs ${plural(needed, "approval", "approvals")} from ${ref.name} but only ${plural(
    approvers.length,
    "person",
    "people",
  )} can give them`;
};

/**
 * Whether `email` is still among those a stage's spec names, asked of the directory now: a member
 * removed from its groups since the mail went out decides nothing.
 */
export const isStillApprover = async (
  directory: Directory,
  spec: Approvers,
  email: string,
): Promise<boolean> => {
  const key = email.toLowerCase();
  if (spec.emails.includes(key)) return true;
  if (spec.groups.length === 0) return false;
  const user = await directory.userByEmail(key);
  return user?.groups.some((group) => spec.groups.includes(group)) ?? false;
};
