import { lengthInWords } from "../../api/request-words.ts";
import type { Approval, ApprovalStage } from "../../api/schemas.ts";
import { humanTime } from "./format.ts";

/** The words the request page gives an approval's parts; the page lays them out (pages/request.ts). */

const STAGE_STATES: Record<ApprovalStage["state"], { label: string; tone: "" | "ok" | "bad" | "warn" }> = {
  waiting: { label: "Not started", tone: "" },
  active: { label: "Asking now", tone: "warn" },
  approved: { label: "Approved", tone: "ok" },
  rejected: { label: "Rejected", tone: "bad" },
  expired: { label: "Expired", tone: "bad" },
  cancelled: { label: "Withdrawn", tone: "" },
};

export const stageStateLabel = (state: ApprovalStage["state"]) => STAGE_STATES[state].label;
export const stageStateTone = (state: ApprovalStage["state"]) => STAGE_STATES[state].tone;

/** "Stage 1 of 2: team leads", or the name alone when the policy has one stage. */
export const stageTitle = ({ index, name }: ApprovalStage, stageCount: number) =>
  stageCount > 1 ? `Stage ${index + 1} of ${stageCount}: ${name}` : name;

/** "needs 2 approvals", or "needs every approval" while a stage that needs everyone has not asked yet. */
export const quorumInWords = ({ quorum, asked }: ApprovalStage) => {
  const needed = quorum === "all" ? asked.length : quorum;
  if (needed === 0) return "needs the approval of everyone it asks";
  return needed === 1 ? "needs 1 approval" : `needs ${needed} approvals`;
};

/** What the policy says, in a sentence. */
export const outcomeInWords = ({ outcome, stages }: Approval) => {
  if (outcome === "autoApprove") return "approves without asking anyone";
  if (outcome === "deny") return "refuses the request";
  return stages.length === 1
    ? "asks for approval in 1 stage"
    : `asks for approval in ${stages.length} stages`;
};

/** Those the stage asked who have not answered yet: whom it still waits for while it asks. */
export const notAnsweredIn = ({ asked, approvedBy, rejectedBy }: ApprovalStage) => {
  const answered = new Set([...approvedBy.map(({ email }) => email), rejectedBy?.email]);
  return asked.filter(({ email }) => !answered.has(email));
};

export const personInWords = ({ email, onBehalfOf }: { email: string; onBehalfOf?: string | undefined }) =>
  onBehalfOf ? `${email} on behalf of ${onBehalfOf}` : email;

/**
 * What an extension round asks an approver to decide, in a line: "from 10 Dec 2026, 09:00:00 to
 * 13 Dec 2026, 09:00:00 (+3 days)".
 */
export const extensionAskedInWords = (
  { from, until }: { from: string; until: string },
  locale?: string,
  timeZone?: string,
) =>
  `from ${humanTime(from, locale, timeZone)} to ${humanTime(until, locale, timeZone)} (+${lengthInWords(new Date(until).getTime() - new Date(from).getTime())})`;
