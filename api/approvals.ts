import { createRoute, z } from "@hono/zod-openapi";
import { extensionRefSchema } from "../events/lease.ts";
import { acceptedRequestSchema, requestIdSchema } from "../events/request.ts";
import { signedIn } from "./access.ts";
import { errorBodySchema, requestViewSchema } from "./schemas.ts";

/**
 * The approvers' routes: what awaits a signed-in approver's decision and deciding it, and deciding
 * with an emailed link's token when a deployment requires sign-in for links
 * (`DECISIONS_REQUIRE_SIGN_IN`). Browser-safe.
 */

const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

const answer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: json(schema),
});

const refusal = (description: string) => answer(errorBodySchema, description);

const body = <S extends z.ZodType>(schema: S) => ({ required: true, content: json(schema) });

export const APPROVAL_ACTIONS = ["approve", "reject"] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];

const actionSchema = z.enum(APPROVAL_ACTIONS, { error: "must be approve or reject" });

const reasonSchema = z.string().optional().openapi({
  description:
    "Shown to the requester. A rejection must give one; at most 1,000 characters once trimmed. As on the link pages.",
});

export const approvalDecisionBodySchema = z
  .object({ action: actionSchema, reason: reasonSchema })
  .openapi("ApprovalDecisionBody");

export type ApprovalDecisionBody = z.output<typeof approvalDecisionBodySchema>;

/** A decision link's token, with the action of the link it came from (which the token's MAC covers). */
export const linkTokenSchema = z
  .object({
    action: actionSchema,
    // Checked as the link pages check it (an oversized one is not valid): the body limit bounds it here.
    token: z.string().min(1, "must not be empty"),
  })
  .openapi("LinkToken");

export type LinkToken = z.output<typeof linkTokenSchema>;

/**
 * The portal page an emailed link opens when decisions require sign-in. The link carries its action
 * and token in the fragment (`/decide#approve.<token>`): browsers send a fragment to no server, so no
 * access log, CDN log or function log ever holds the token.
 */
export const LINK_DECISION_PAGE = "/decide";

export const linkFragmentOf = ({ action, token }: LinkToken): string => `${action}.${token}`;

/** The action and token of a link's fragment (with or without its `#`), or undefined if it holds none. */
export const linkTokenOfFragment = (fragment: string): LinkToken | undefined => {
  const text = fragment.replace(/^#/, "");
  const separator = text.indexOf(".");
  if (separator < 0) return undefined;
  return linkTokenSchema.safeParse({ action: text.slice(0, separator), token: text.slice(separator + 1) })
    .data;
};

export const linkDecisionBodySchema = linkTokenSchema
  .extend({ reason: reasonSchema })
  .openapi("LinkDecisionBody");

export type LinkDecisionBody = z.output<typeof linkDecisionBodySchema>;

export const approvalOutcomeSchema = z
  .object({
    requestId: requestIdSchema,
    outcome: z.enum(["APPROVED", "REJECTED"]),
    approver: z
      .string()
      .openapi({ description: "The signed-in approver's email, as the outcome event has it." }),
    reason: z.string().optional(),
    decidedAt: z.string(),
    waitingFor: z.string().optional().openapi({
      description:
        "Present when the approval did not decide the request yet: what it still waits for, in words.",
    }),
  })
  .openapi("ApprovalOutcome", {
    description:
      "The vote just recorded, the caller's own: a rejection, or the approval that completes the last stage, decides the request.",
  });

export type ApprovalOutcome = z.output<typeof approvalOutcomeSchema>;

export const linkPreviewSchema = z
  .object({
    requestId: requestIdSchema,
    action: actionSchema,
    approver: z.string().openapi({ description: "The approver the link was sent to." }),
    expiresAt: z.string(),
    request: acceptedRequestSchema.optional().openapi({
      description:
        "Absent while the request is on its way to the decision service: the link alone vouches for it.",
    }),
    extension: extensionRefSchema.optional().openapi({
      description:
        "Present when the link decides an extension of the request's lease (from its end now until a later one, and why), not the request.",
    }),
  })
  .openapi("LinkPreview", {
    description: "What a decision link would decide, as its confirmation shows it.",
  });

export type LinkPreview = z.output<typeof linkPreviewSchema>;

export const awaitingApprovalSchema = requestViewSchema
  .extend({
    extension: z
      .object({
        n: z.number().int(),
        from: z.string(),
        until: z.string(),
        justification: z.string(),
        expiresAt: z
          .string()
          .optional()
          .openapi({ description: "The round's own deadline (the request's expiresAt is the request's)." }),
      })
      .optional()
      .openapi({
        description:
          "Present when what awaits the decision is an extension of the lease (from its end now until a later one, and why), not the request.",
      }),
  })
  .openapi("AwaitingApproval");

export type AwaitingApproval = z.output<typeof awaitingApprovalSchema>;

export const approvalListSchema = z
  .object({ items: z.array(awaitingApprovalSchema) })
  .openapi("ApprovalList", { description: "Requests awaiting the caller's decision, newest first." });

export type ApprovalList = z.output<typeof approvalListSchema>;

const signInRefusals = {
  401: refusal("No access token, or one that is expired, tampered with or for another client."),
  403: refusal("The signed-in user is not an approver."),
};

const decisionRefusals = {
  400: refusal("Names each field that makes no sense, a rejection without a reason among them."),
  409: refusal(
    "The request was decided already, or its deadline (or the link's) passed: the message says which, as the link pages do.",
  ),
  413: refusal("The body is larger than the API accepts."),
  415: refusal("The body is not application/json, or is compressed."),
};

export const listApprovalsRoute = createRoute({
  method: "get",
  path: "/api/approvals",
  summary: "Requests awaiting my decision",
  description:
    "The requests pending approval whose approvers include the signed-in user (by email, whatever its case).",
  ...signedIn("approvers"),
  responses: {
    200: answer(approvalListSchema, "What awaits the caller's decision."),
    ...signInRefusals,
  },
});

export const decideApprovalRoute = createRoute({
  method: "post",
  path: "/api/approvals/{requestId}",
  summary: "Approve or reject a request as the signed-in approver",
  description:
    "The same single-use rules as the emailed links: the first decision wins, before the deadline, never by the requester. The decision records the signed-in identity.",
  ...signedIn("approvers"),
  request: { params: z.object({ requestId: requestIdSchema }), body: body(approvalDecisionBodySchema) },
  responses: {
    200: answer(approvalOutcomeSchema, "Decided."),
    ...decisionRefusals,
    ...signInRefusals,
    403: refusal(
      "The signed-in user is not an approver (any more), or is the requester, who never decides their own request.",
    ),
    404: refusal(
      "No request awaits this caller's decision under this id; a request of others answers the same.",
    ),
  },
});

export const previewLinkDecisionRoute = createRoute({
  method: "post",
  path: "/api/link-decisions/preview",
  summary: "What an emailed decision link would decide",
  description:
    "Checks the link's token exactly as the link pages do, and that the signed-in user is the approver it was sent to. Decides nothing. A POST, so the token never sits in a URL.",
  ...signedIn("approvers"),
  request: { body: body(linkTokenSchema) },
  responses: {
    200: answer(linkPreviewSchema, "The link may decide; what its confirmation shows."),
    ...decisionRefusals,
    ...signInRefusals,
    403: refusal("The link is not valid, or was sent to another approver than the signed-in one."),
  },
});

export const decideWithLinkRoute = createRoute({
  method: "post",
  path: "/api/link-decisions",
  summary: "Decide with an emailed link, signed in as its approver",
  description:
    "Where sign-in is required for links: the link's token, checked as the link pages check it, decides only for the approver it was sent to.",
  ...signedIn("approvers"),
  request: { body: body(linkDecisionBodySchema) },
  responses: {
    200: answer(approvalOutcomeSchema, "Decided."),
    ...decisionRefusals,
    ...signInRefusals,
    403: refusal("The link is not valid, or was sent to another approver than the signed-in one."),
  },
});

export const APPROVAL_ROUTES = [
  listApprovalsRoute,
  decideApprovalRoute,
  previewLinkDecisionRoute,
  decideWithLinkRoute,
] as const;
