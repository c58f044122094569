import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import type { MiddlewareHandler } from "hono";
import { estimateRoute, regionsRoute, submitRequestRoute } from "../../api/contract.ts";
import type { SubmissionBody } from "../../api/schemas.ts";
import type { Publisher } from "../../events/publish.ts";
import { requesterSchema } from "../../events/request.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import type { FieldError } from "../../events/validation.ts";
import type { AccessTokenVerifier, Identity } from "../shared/access-token.ts";
import { ClientError } from "../shared/errors.ts";
import { publisher } from "../shared/events.ts";
import { acceptJsonBody, createServiceApp } from "../shared/http.ts";
import { accessTokenVerifier, admitTo, type SignedInEnv } from "../shared/http-auth.ts";
import { intakeRules } from "./config.ts";
import { type Estimator, estimator } from "./cost/estimator.ts";
import {
  admit,
  type IntakeRules,
  identify,
  REUSED_ID_MESSAGE,
  type ResourceRequestedDetail,
  regionOf,
  ruleErrorsOf,
} from "./domain.ts";
import { type IntakeStore, intakeStore } from "./store.ts";

export interface IntakeAppDeps {
  store: IntakeStore;
  publish: Publisher["publish"];
  newRequestId: () => string;
  now: () => Date;
  logger: Logger;
  verifyAccessToken: () => AccessTokenVerifier;
  rules: IntakeRules;
  estimate: Estimator;
}

/** A body the contract accepts but the operator's rules refuse, answered as the contract's refusals are. */
const refusalOf = (errors: FieldError[]) =>
  new ClientError(
    400,
    `Request is invalid: ${errors.map(({ field, message }) => `${field} ${message}`).join("; ")}`,
    errors,
  );

const OTHER_REQUESTER_MESSAGE = "must be you, the signed-in user, or be left out";

/**
 * The detail of the caller's submission: its requester is the signed-in user, as the identity
 * provider names them, with the provider's id of them (`subject`), by which decision refuses them
 * deciding it whatever email they decide with. A body naming someone else is refused rather than
 * corrected, so the caller learns that a request cannot be filed for another person.
 */
export const detailSubmittedBy = (body: SubmissionBody, caller: Identity): ResourceRequestedDetail => {
  if (body.requester && body.requester.email.toLowerCase() !== caller.email.toLowerCase()) {
    throw new ClientError(400, `Request is invalid: requester ${OTHER_REQUESTER_MESSAGE}`, [
      { field: "requester", message: OTHER_REQUESTER_MESSAGE },
    ]);
  }
  // A provider's display name the event's contract cannot carry leaves the requester named by email.
  const name = requesterSchema.shape.name.safeParse(caller.name).data;
  return { ...body, requester: { email: caller.email, ...(name && { name }), subject: caller.subject } };
};

/** `req_` and 80 random bits in hex: unguessable, URL-safe, well inside the id pattern. */
export const randomRequestId = (): string => `req_${randomBytes(10).toString("hex")}`;

/**
 * `POST /api/requests`, for signed-in requesters: validates the body, makes the caller its requester,
 * records the submission under its id, publishes it and answers 202. The record is written before the
 * event, so a reused id is refused (409) before anything goes out. If publishing fails, the answer is 503 with the request id, and
 * repeating the same request (same id, same body) publishes it again: a record whose event never went
 * out is never stuck. `POST /api/estimates` prices a resource as acceptance will, for a form to show
 * the figure as it changes; it records and publishes nothing. `GET /api/regions` tells a form the
 * regions the rules allow and the default, so it offers only what intake would accept.
 */
export const createIntakeApp = ({
  store,
  publish,
  newRequestId,
  now,
  logger,
  verifyAccessToken,
  rules,
  estimate,
}: IntakeAppDeps) => {
  const app = createServiceApp(logger);
  // The caller is known before the body is read: a stranger learns nothing about what it would accept.
  const middleware: [MiddlewareHandler<SignedInEnv>, MiddlewareHandler] = [
    admitTo(submitRequestRoute, verifyAccessToken),
    acceptJsonBody,
  ];
  app.openapi({ ...submitRequestRoute, middleware }, async (c) => {
    const admission = admit(detailSubmittedBy(c.req.valid("json"), c.get("identity")), rules);
    if (!admission.ok) throw refusalOf(admission.errors);
    const submission = identify(admission.detail, newRequestId);
    const { requestId } = submission;
    const outcome = await store.recordSubmission({ ...submission, submittedAt: now().toISOString() });
    if (outcome.kind === "conflict") {
      throw new ClientError(409, `requestId ${requestId} was already used for a different request`, [
        { field: "requestId", message: REUSED_ID_MESSAGE },
      ]);
    }
    if (outcome.kind === "created" || !outcome.alreadyPublished) {
      try {
        await publish(ResourceRequested, submission.request);
        await store.markSubmissionPublished(requestId);
      } catch (error) {
        logger.error("Submission stored but not published", { requestId, error });
        return c.json(
          {
            error: "The request could not be queued; send it again with the same requestId",
            requestId,
          },
          503,
          { "Retry-After": "5" },
        );
      }
    }
    return c.json({ requestId, status: "SUBMITTED" as const }, 202);
  });
  app.openapi(
    { ...estimateRoute, middleware: [admitTo(estimateRoute, verifyAccessToken), acceptJsonBody] },
    async (c) => {
      const placement = c.req.valid("json");
      const errors = ruleErrorsOf(placement, rules);
      if (errors.length > 0) throw refusalOf(errors);
      const region = regionOf(placement, rules);
      return c.json({ region, ...(await estimate(placement.resource, region)) }, 200);
    },
  );
  app.openapi({ ...regionsRoute, middleware: [admitTo(regionsRoute, verifyAccessToken)] }, (c) =>
    c.json({ allowed: [...rules.allowedRegions], default: rules.defaultRegion }, 200),
  );
  return app;
};

export const app = createIntakeApp({
  store: intakeStore,
  publish: publisher.publish,
  newRequestId: randomRequestId,
  now: () => new Date(),
  logger: new Logger({ serviceName: "intake" }),
  verifyAccessToken: accessTokenVerifier,
  rules: intakeRules,
  estimate: estimator,
});
