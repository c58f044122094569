/**
 * How a decided request says who decided it, in the words the requester's and the approvers' emails
 * use: a person, several people (a quorum), or a policy (`policy:<name>`, see events/approval-policy.ts).
 */

const POLICY_ACTOR_PREFIX = "policy:";

/** One counted approval, as RequestApproved's `approvals` lists them. */
export interface CountedApproval {
  approver: string;
  onBehalfOf?: string | undefined;
}

/** The decision fields of RequestApproved / RequestRejected these words are made of. */
export interface Decided {
  /** An email, or `policy:<name>`; absent for a refusal before any approver was asked. */
  approver?: string | undefined;
  approvals?: readonly CountedApproval[] | undefined;
  reason?: string | undefined;
}

/** The policy's name when a policy decided (`policy:<name>`), else undefined. */
export const policyNameOf = (decider: string | undefined): string | undefined =>
  decider?.startsWith(POLICY_ACTOR_PREFIX) ? decider.slice(POLICY_ACTOR_PREFIX.length) : undefined;

/** "A", "A and B", "A, B and C". */
export const listInWords = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

const personOf = ({ approver, onBehalfOf }: CountedApproval): string =>
  onBehalfOf ? `${approver} on behalf of ${onBehalfOf}` : approver;

const withReason = (words: string, reason: string | undefined): string =>
  reason ? `${words}: ${reason}` : words;

/**
 * "auto-approved by policy small-dev-boxes: small burstable instance", or "approved by A and B": every
 * counted approval when the outcome lists them (a quorum, stages), else the one approver.
 */
export const approvalInWords = ({ approver, approvals, reason }: Decided): string => {
  const policy = policyNameOf(approver);
  if (policy !== undefined) return withReason(`auto-approved by policy ${policy}`, reason);
  const people = approvals && approvals.length > 0 ? [...new Set(approvals.map(personOf))] : [approver ?? ""];
  return `approved by ${listInWords(people)}`;
};

/**
 * "refused by policy no-huge-volumes: <reason>", "rejected by bob@example.com", or, with nobody named,
 * "refused before any approver was asked". A person's reason is not part of these words: it is shown
 * beside them.
 */
export const rejectionInWords = ({ approver, reason }: Decided): string => {
  const policy = policyNameOf(approver);
  if (policy !== undefined) return withReason(`refused by policy ${policy}`, reason);
  return approver ? `rejected by ${approver}` : "refused before any approver was asked";
};
