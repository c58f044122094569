import type { AcceptedRequest } from "../../events/request.ts";
import { canonicalEmail } from "./canonical-email.ts";

/** Someone signed in, as a request's requester is compared with them. */
export interface SignedInPerson {
  email: string;
  subject?: string;
}

/**
 * Whether `person` is the requester of `request`: by their identity provider's subject when the request
 * names one, else by `canonicalEmail` (case, plus-addressing, Gmail's dots).
 */
export const isRequesterOf = (request: AcceptedRequest, { email, subject }: SignedInPerson): boolean =>
  request.requester.subject !== undefined
    ? request.requester.subject === subject
    : canonicalEmail(request.requester.email) === canonicalEmail(email);
