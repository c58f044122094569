import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { submitRequestRoute } from "../../api/contract.ts";
import type { Publisher } from "../../events/publish.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { ClientError } from "../shared/errors.ts";
import { publisher } from "../shared/events.ts";
import { acceptJsonBody, createServiceApp } from "../shared/http.ts";
import { identify, REUSED_ID_MESSAGE } from "./domain.ts";
import { type IntakeStore, intakeStore } from "./store.ts";

export interface IntakeAppDeps {
  store: IntakeStore;
  publish: Publisher["publish"];
  newRequestId: () => string;
  now: () => Date;
  logger: Logger;
}

/** `req_` and 80 random bits in hex: unguessable, URL-safe, well inside the id pattern. */
export const randomRequestId = (): string => `req_${randomBytes(10).toString("hex")}`;

/**
 * `POST /api/requests`: validates the `ResourceRequested` detail, records the submission under its
 * id, publishes it and answers 202. The record is written before the event, so a reused id is refused
 * (409) before anything goes out. If publishing fails, the answer is 503 with the request id, and
 * repeating the same request (same id, same body) publishes it again: a record whose event never went
 * out is never stuck.
 */
export const createIntakeApp = ({ store, publish, newRequestId, now, logger }: IntakeAppDeps) => {
  const app = createServiceApp(logger);
  app.openapi({ ...submitRequestRoute, middleware: [acceptJsonBody] }, async (c) => {
    const detail = c.req.valid("json");
    const submission = identify(detail, newRequestId);
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
  return app;
};

export const app = createIntakeApp({
  store: intakeStore,
  publish: publisher.publish,
  newRequestId: randomRequestId,
  now: () => new Date(),
  logger: new Logger({ serviceName: "intake" }),
});
