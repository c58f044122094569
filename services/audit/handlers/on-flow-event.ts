import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { type RawEnvelope, RawEnvelopeSchema } from "../../../events/index.ts";
import { auditRecordOf, projectView } from "../domain.ts";
import { type AuditStore, auditStore } from "../store.ts";

export interface FlowEventHandlerDeps {
  store: AuditStore;
  logger: Logger;
}

/**
 * Records a flow event on its request's timeline (once, however often it is delivered), then projects
 * the request's view again from the whole timeline, so late and repeated events land in the same view.
 */
export const createFlowEventHandler =
  ({ store, logger }: FlowEventHandlerDeps) =>
  async (envelope: RawEnvelope): Promise<void> => {
    const record = auditRecordOf(envelope);
    const appended = await store.appendToTimeline(record);
    // Projected even for a repeat: the first delivery may have failed after appending, before saving the view.
    const timeline = await store.readTimeline(record.requestId);
    const view = projectView(record.requestId, timeline);
    const saved = await store.saveView(view, timeline.length);
    logger.info("Audited event", {
      requestId: record.requestId,
      eventId: record.entry.eventId,
      detailType: record.entry.type,
      appended,
      status: view.status,
      viewSaved: saved,
    });
  };

const logger = new Logger({ serviceName: "audit" });

export const handler = middy(createFlowEventHandler({ store: auditStore, logger }))
  .use(injectLambdaContext(logger))
  .use(parser({ schema: RawEnvelopeSchema }));
