import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { mustBe } from "../events/fields.ts";
import { emailSchema, requestIdSchema } from "../events/request.ts";
import { REQUEST_STATUSES } from "../events/request-status.ts";
import { signedIn } from "./access.ts";
import { APPROVAL_ROUTES } from "./approvals.ts";
import { dashboardRoute } from "./dashboard.ts";
import { DELEGATION_ROUTES } from "./delegations.ts";
import {
  errorBodySchema,
  estimateBodySchema,
  estimateSchema,
  extensionAnswerSchema,
  extensionBodySchema,
  healthSchema,
  regionsSchema,
  releaseAnswerSchema,
  releaseBodySchema,
  requestPageSchema,
  requestWithTimelineSchema,
  submissionBodySchema,
  submissionSchema,
  withdrawalBodySchema,
  withdrawalSchema,
} from "./schemas.ts";

/**
 * The HTTP API under `/api`, each route described once: the services serve these routes, the OpenAPI
 * document is built from them, and the portal and the CLI call them through `client.ts`. Browser-safe.
 */

/** zod 4 with `.openapi()`, for schemas that describe the API. */
export { z };

/** How many requests one page of `GET /api/requests` holds when not asked, and at most. */
export const PAGE_SIZE = { default: 25, max: 100 } as const;

const jsonAnswer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const refusal = (description: string) => jsonAnswer(errorBodySchema, description);

/** The answers of every signed-in route to a caller it does not admit. */
const signInRefusals = {
  401: refusal(
    "No access token, or one that is expired, tampered with or for another client; WWW-Authenticate says which.",
  ),
  403: refusal("The signed-in user is in none of the groups the route admits."),
};

/**
 * A query parameter read once: an empty one (`?status=`) filters nothing, as a form with an unset
 * field sends it, and a repeated one counts by its first value.
 */
const queryParameter = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return first === "" ? undefined : first;
  }, schema.optional());

const limitMessage = `must be a whole number from 1 to ${PAGE_SIZE.max}`;

export const listRequestsQuerySchema = z.object({
  requester: queryParameter(emailSchema).openapi({
    description:
      "Only this requester's requests, whatever the case of the address, among those the caller may see.",
  }),
  status: queryParameter(z.enum(REQUEST_STATUSES, mustBe(`one of ${REQUEST_STATUSES.join(", ")}`))).openapi({
    description: "Only requests in this status.",
  }),
  limit: queryParameter(
    z
      .string()
      .regex(/^[0-9]{1,4}$/, limitMessage)
      .transform(Number)
      .pipe(z.number().min(1, limitMessage).max(PAGE_SIZE.max, limitMessage)),
  )
    .transform((limit) => limit ?? PAGE_SIZE.default)
    .openapi({
      description: "How many requests the page holds at most.",
      type: "integer",
      minimum: 1,
      maximum: PAGE_SIZE.max,
      default: PAGE_SIZE.default,
    }),
  cursor: queryParameter(z.string()).openapi({
    description: "The nextCursor of the page before, with the same filters.",
  }),
});

export const submitRequestRoute = createRoute({
  method: "post",
  path: "/api/requests",
  summary: "Submit a request",
  description:
    "Publishes the request as a ResourceRequested event, its requester being the signed-in user. requestId is an idempotency key: the same body under the same id is accepted again without a second event.",
  ...signedIn("requesters"),
  request: {
    body: { required: true, content: { "application/json": { schema: submissionBodySchema } } },
  },
  responses: {
    202: jsonAnswer(submissionSchema, "Accepted: the request is on its way to an approver."),
    400: refusal(
      "The body is not JSON, or names each field that breaks the contract or the deployment's rules (a requester other than the caller, a region not allowed, a bucket name without the required prefix among them).",
    ),
    ...signInRefusals,
    409: refusal("The requestId was already used for a different request."),
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json, or is compressed."),
    503: jsonAnswer(
      errorBodySchema.extend({ requestId: requestIdSchema }),
      "Recorded but not queued: send the same request again with this requestId.",
    ),
  },
});

export const estimateRoute = createRoute({
  method: "post",
  path: "/api/estimates",
  summary: "Estimate what a resource would cost",
  description:
    "Prices a resource in a region at AWS's public on-demand list prices, as intake will when the request is accepted, so a form can show the figure as it changes. Nothing is recorded or published.",
  ...signedIn("requesters"),
  request: {
    body: { required: true, content: { "application/json": { schema: estimateBodySchema } } },
  },
  responses: {
    200: jsonAnswer(estimateSchema, "The estimate; a part whose price is unknown says why."),
    400: refusal(
      "The body is not JSON, or names each field that breaks the contract or the allowed regions.",
    ),
    ...signInRefusals,
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json, or is compressed."),
  },
});

export const regionsRoute = createRoute({
  method: "get",
  path: "/api/regions",
  summary: "The regions requests may use",
  description:
    "The regions the deployment allows requests to create resources in, and the one a request that names none is created in.",
  ...signedIn("requesters"),
  responses: {
    200: jsonAnswer(regionsSchema, "The allowed regions and the default."),
    ...signInRefusals,
  },
});

export const listRequestsRoute = createRoute({
  method: "get",
  path: "/api/requests",
  summary: "List requests",
  description:
    "A page of the requests the caller may see, newest first; follow nextCursor for the next one. A requester sees their own requests, an approver also those they are asked to decide, an operator every request.",
  ...signedIn("requesters", "approvers", "operators"),
  request: { query: listRequestsQuerySchema },
  responses: {
    200: jsonAnswer(requestPageSchema, "One page of requests."),
    400: refusal("Names each query parameter that makes no sense, a cursor of another listing among them."),
    ...signInRefusals,
  },
});

export const getRequestRoute = createRoute({
  method: "get",
  path: "/api/requests/{id}",
  summary: "Get a request with its timeline",
  description: "A request the caller may see, as in the list.",
  ...signedIn("requesters", "approvers", "operators"),
  request: { params: z.object({ id: requestIdSchema }) },
  responses: {
    200: jsonAnswer(requestWithTimelineSchema, "The request and every event audited for it, oldest first."),
    400: refusal("The id cannot be a request id."),
    ...signInRefusals,
    404: refusal(
      "No request has this id that the caller may see (yet: the audit trail records a request a moment after it is sent). Another user's request answers exactly as an unknown id.",
    ),
  },
});

export const withdrawRequestRoute = createRoute({
  method: "post",
  path: "/api/requests/{id}/withdraw",
  summary: "Withdraw a pending request",
  description:
    "The requester takes back their request while it waits for approval: it becomes CANCELLED (RequestCancelled), its emailed links stop working, and the approvers still asked are told. Only the request's requester may withdraw it (by their identity provider's subject when the request has one, else by email, whatever its case).",
  ...signedIn("requesters", "approvers", "operators"),
  request: {
    params: z.object({ id: requestIdSchema }),
    body: { required: false, content: { "application/json": { schema: withdrawalBodySchema } } },
  },
  responses: {
    200: jsonAnswer(withdrawalSchema, "Withdrawn: the request is CANCELLED."),
    202: jsonAnswer(
      withdrawalSchema,
      "Recorded before the request reached its approval: it is cancelled as it arrives, before any approver is asked, if the caller is its requester.",
    ),
    400: refusal("The id cannot be a request id, or the body names the field that breaks the contract."),
    ...signInRefusals,
    404: refusal(
      "No request of the caller's has this id; another user's request answers exactly as an unknown id.",
    ),
    409: refusal(
      "The request is no longer pending: the message names its status (decided, expired or withdrawn).",
    ),
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json."),
  },
});

export const extendLeaseRoute = createRoute({
  method: "post",
  path: "/api/requests/{id}/extend",
  summary: "Ask for more time on a provisioned resource",
  description:
    "Asks for the lease's end to move later by `by`, with a justification. The extension goes through the approval policies like a request (ExtensionRequested): approved at once within the policy's limits, otherwise asked of its approvers with their own single-use links, refused beyond the policy's max. Approved, the end, the reminders and the resource's ExpiresAt tag move (LeaseExtended); refused, the requester is told why. Only the request's requester may ask (an operator who also approves would otherwise approve their own extension); operators release instead.",
  ...signedIn("requesters", "approvers", "operators"),
  request: {
    params: z.object({ id: requestIdSchema }),
    body: { required: true, content: { "application/json": { schema: extensionBodySchema } } },
  },
  responses: {
    202: jsonAnswer(extensionAnswerSchema, "Asked: the extension is on its way through the policies."),
    400: refusal(
      "The body names the field that breaks the contract: `by` shorter than LEASE_MIN, or making the lease run longer than LEASE_MAX.",
    ),
    ...signInRefusals,
    404: refusal(
      "No leased request of the caller's has this id; another user's, an operator's included, answers exactly as an unknown id.",
    ),
    409: refusal(
      "The lease cannot be extended now: the message says why (not running yet, no end, released, or an extension already waiting).",
    ),
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json."),
  },
});

export const releaseNowRoute = createRoute({
  method: "post",
  path: "/api/requests/{id}/release",
  summary: "Release a provisioned resource now",
  description:
    "Ends the lease at once (ReleaseRequested): the resource's launcher does what the lease's terms say (terminate or stop an instance, delete a database after its final snapshot, delete a bucket if it is empty) and confirms it. The request's requester (their own) and operators (any) may release; the portal asks to confirm first.",
  ...signedIn("requesters", "approvers", "operators"),
  request: {
    params: z.object({ id: requestIdSchema }),
    body: { required: false, content: { "application/json": { schema: releaseBodySchema } } },
  },
  responses: {
    202: jsonAnswer(
      releaseAnswerSchema,
      "Releasing: the launcher is at work; the request becomes RELEASED once it is confirmed.",
    ),
    400: refusal("The id cannot be a request id, or the body names the field that breaks the contract."),
    ...signInRefusals,
    404: refusal(
      "No leased request of the caller's has this id; another user's answers exactly as an unknown id.",
    ),
    409: refusal(
      "The resource is not running under a lease: the message names its state (not yet provisioned, releasing, released).",
    ),
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json."),
  },
});

export const LEASE_ROUTES = [extendLeaseRoute, releaseNowRoute];

export const healthRoute = createRoute({
  method: "get",
  path: "/api/health",
  summary: "Health of local mode",
  description: "Served by the local runtime once every part of it is up; a deployment on AWS has none.",
  responses: { 200: jsonAnswer(healthSchema, "Local mode is up.") },
});

export const openApiDocumentRoute = createRoute({
  method: "get",
  path: "/api/openapi.json",
  summary: "This API's OpenAPI 3.1 document",
  responses: {
    200: jsonAnswer(z.looseObject({ openapi: z.string() }), "The OpenAPI document."),
  },
});

export const API_ROUTES: readonly RouteConfig[] = [
  submitRequestRoute,
  estimateRoute,
  regionsRoute,
  listRequestsRoute,
  getRequestRoute,
  withdrawRequestRoute,
  ...LEASE_ROUTES,
  healthRoute,
  openApiDocumentRoute,
  ...APPROVAL_ROUTES,
  ...DELEGATION_ROUTES,
  dashboardRoute,
];
