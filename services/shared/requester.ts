import type { AcceptedRequest } from "../../events/request.ts";

/** Someone signed in, as a request's requester is compared with them. */
export interface SignedInPerson {
  email: string;
  subject?: string;
}

/**
 * Whether `person` is the requester of `request`, to let them do what only its requester may (withdraw,
 * extend, release): by their identity provider's subject when the request names one, else by the same
 * address whatever its case, as audit lets them read it. Never by `canonicalEmail`: its folding
 * (plus-addressing, Gmail's dots) is right for refusing self-approval, but here it would hand one
 * mailbox's request to another (`ana+x@` is a different account of the identity provider).
 */
export const isRequesterOf = (request: AcceptedRequest, { email, subject }: SignedInPerson): boolean =>
  request.requester.subject !== undefined
    ? request.requester.subject === subject
    : request.requester.email.toLowerCase() === email.toLowerCase();
