import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { type RawEnvelope, RawEnvelopeSchema } from "../../../events/envelope.ts";
import type { Publisher } from "../../../events/publish.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { RequestInvalid } from "../../../events/request-invalid.ts";
import { publisher } from "../../shared/events.ts";
import { acceptedDetail, decide, invalidDetail, type Rejection, reusedIdRejection } from "../domain.ts";
import { type IntakeStore, intakeIdempotency, intakeStore } from "../store.ts";

export interface ResourceRequestedDeps {
  store: IntakeStore;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
}

export type PublishOutcome = "published" | "already-published";

const outcomeOf = ({ ran }: { ran: boolean }): PublishOutcome => (ran ? "published" : "already-published");

/**
 * Takes a `ResourceRequested` from any source, valid or not, and answers it with exactly one
 * `RequestAccepted` or `RequestInvalid` (under the refusal's own id, so a refusal never touches the
 * request whose id a refused detail named). Bad input never throws (it would only end in the dead-letter
 * queue); DynamoDB and EventBridge failures do, so the bus retries, and so does finding the answer
 * being published by another delivery (Powertools' `IdempotencyAlreadyInProgressError`): the retry
 * finds it published.
 */
export const createResourceRequestedHandler =
  ({ store, publish, now, logger }: ResourceRequestedDeps) =>
  async (event: RawEnvelope): Promise<PublishOutcome> => {
    const refuse = async (rejection: Rejection) => {
      logger.info("Refusing ResourceRequested", {
        requestId: rejection.requestId,
        givenRequestId: rejection.givenRequestId,
        errors: rejection.errors,
      });
      return outcomeOf(
        await store.publishRefusalOnce(rejection.requestId, () =>
          publish(RequestInvalid, invalidDetail(rejection, event.id, now().toISOString())),
        ),
      );
    };

    const decision = decide(event.detail, event.id);
    if (decision.kind === "reject") return refuse(decision);

    const stored = await store.recordAcceptance({ ...decision, acceptedAt: now().toISOString() });
    if (stored.kind === "conflict") return refuse(reusedIdRejection(decision, event.id));
    return outcomeOf(
      await store.publishAcceptanceOnce(decision.requestId, () =>
        publish(RequestAccepted, acceptedDetail(decision.request, stored.record.acceptedAt)),
      ),
    );
  };

const logger = new Logger({ serviceName: "intake" });

export const handler = middy(
  createResourceRequestedHandler({
    store: intakeStore,
    publish: publisher.publish,
    now: () => new Date(),
    logger,
  }),
)
  .use(injectLambdaContext(logger))
  .use(intakeIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: RawEnvelopeSchema }));
