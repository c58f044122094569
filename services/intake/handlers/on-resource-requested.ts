import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { type RawEnvelope, RawEnvelopeSchema } from "../../../events/envelope.ts";
import type { Publisher } from "../../../events/publish.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { RequestInvalid } from "../../../events/request-invalid.ts";
import { publisher } from "../../shared/events.ts";
import { type BusinessMetrics, businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import { intakeRules } from "../config.ts";
import { type Estimator, estimator } from "../cost/estimator.ts";
import {
  acceptedDetail,
  decide,
  type IntakeRules,
  invalidDetail,
  type Rejection,
  reusedIdRejection,
} from "../domain.ts";
import { type IntakeStore, intakeIdempotency, intakeStore } from "../store.ts";

export interface ResourceRequestedDeps {
  store: IntakeStore;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
  rules: IntakeRules;
  estimate: Estimator;
  metrics: BusinessMetrics;
}

export type PublishOutcome = "published" | "already-published";

const outcomeOf = ({ ran }: { ran: boolean }): PublishOutcome => (ran ? "published" : "already-published");

/** Every submission is answered once: counted as submitted and as its answer when that answer is published. */
const countAnswer = (
  metrics: BusinessMetrics,
  answer: "RequestsAccepted" | "RequestsInvalid",
  { ran }: { ran: boolean },
) => {
  if (!ran) return;
  metrics.count("RequestsSubmitted");
  metrics.count(answer);
};

/**
 * Takes a `ResourceRequested` from any source, valid or not, and answers it with exactly one
 * `RequestAccepted` or `RequestInvalid` (under the refusal's own id, so a refusal never touches the
 * request whose id a refused detail named). Bad input never throws (it would only end in the dead-letter
 * queue); DynamoDB and EventBridge failures do, so the bus retries, and so does finding the answer
 * being published by another delivery (Powertools' `IdempotencyAlreadyInProgressError`): the retry
 * finds it published.
 */
export const createResourceRequestedHandler =
  ({ store, publish, now, logger, rules, estimate, metrics }: ResourceRequestedDeps) =>
  async (event: RawEnvelope): Promise<PublishOutcome> => {
    const refuse = async (rejection: Rejection) => {
      logger.info("Refusing ResourceRequested", {
        requestId: rejection.requestId,
        givenRequestId: rejection.givenRequestId,
        errors: rejection.errors,
      });
      const published = await store.publishRefusalOnce(rejection.requestId, () =>
        publish(RequestInvalid, invalidDetail(rejection, event.id, now().toISOString())),
      );
      countAnswer(metrics, "RequestsInvalid", published);
      return outcomeOf(published);
    };

    const decision = decide(event.detail, event.id, rules);
    if (decision.kind === "reject") return refuse(decision);

    // Estimated once: a redelivery, or a duplicate under the same id, carries the figure first stored.
    const { request } = decision;
    const known = (await store.getRequest(decision.requestId))?.estimate;
    const stored = await store.recordAcceptance({
      ...decision,
      acceptedAt: now().toISOString(),
      estimate: known ?? (await estimate(request.resource, request.region ?? rules.defaultRegion)),
    });
    if (stored.kind === "conflict") return refuse(reusedIdRejection(decision, event.id));
    const { acceptedAt, estimate: settled } = stored.record;
    const published = await store.publishAcceptanceOnce(decision.requestId, () =>
      publish(RequestAccepted, acceptedDetail({ ...request, ...settled }, acceptedAt)),
    );
    countAnswer(metrics, "RequestsAccepted", published);
    return outcomeOf(published);
  };

const logger = new Logger({ serviceName: "intake" });

export const handler = middy(
  createResourceRequestedHandler({
    store: intakeStore,
    publish: publisher.publish,
    now: () => new Date(),
    logger,
    rules: intakeRules,
    estimate: estimator,
    metrics: businessMetricsOf(metricsOf("intake")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("intake"))
  .use(intakeIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: RawEnvelopeSchema }));
