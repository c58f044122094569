import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { type RawEnvelope, RawEnvelopeSchema } from "../../../events/index.ts";
import { observe } from "../../shared/observability.ts";
import { incrementsOf } from "../aggregates.ts";
import { type AggregatesStore, aggregatesStore } from "../aggregates-store.ts";
import { type AuditRecord, auditRecordOf, projectView } from "../domain.ts";
import { type AuditStore, auditStore } from "../store.ts";

export interface FlowEventHandlerDeps {
  store: AuditStore;
  aggregates: AggregatesStore;
  logger: Logger;
}

/**
 * Records a flow event on its request's timeline (once, however often it is delivered), then projects
 * the request's view again from the whole timeline, so late and repeated events land in the same view,
 * and adds the event to the dashboard's counters (each once, however often it is delivered).
 */
export const createFlowEventHandler =
  ({ store, aggregates, logger }: FlowEventHandlerDeps) =>
  async (envelope: RawEnvelope): Promise<void> => {
    const record = auditRecordOf(envelope);
    const { appended, changed } = await recordEvent(store, record);
    // Projected even for a repeat: the first delivery may have failed after appending, before saving the view.
    const projected = await Promise.all(changed.map(projectAgain(store)));
    // Counted even for a repeat, for the same reason: the counters skip what they counted already.
    const { submittedAt } = projected.find((view) => view.requestId === record.requestId) ?? {};
    const counted = await aggregates.count(envelope.id, incrementsOf(record.entry, submittedAt));
    logger.info("Audited event", {
      eventId: envelope.id,
      detailType: envelope["detail-type"],
      appended,
      projected,
      counted,
    });
  };

/**
 * Puts the event on its timeline; resolves whether it was new there and which timelines changed. A
 * submission intake refuses ends up on its refusal's timeline, never on that of the request whose id
 * it named, whichever of its `ResourceRequested` and `RequestInvalid` comes first.
 */
const recordEvent = async (
  store: AuditStore,
  { requestId, entry, refusalId, refusedSubmission }: AuditRecord,
): Promise<{ appended: boolean; changed: string[] }> => {
  const changed = new Set<string>();
  let appended = false;
  // A submission that intake refused already goes straight to its refusal.
  const refusedAlready = refusalId !== undefined && (await store.holdsTimeline(refusalId));
  if (!refusedAlready) {
    appended = await store.appendToTimeline({ requestId, entry });
    changed.add(requestId);
  }
  // The refusal may come between the check above and the append, and look for this entry before it
  // is there. The refusal appends itself, then looks; this side appends, then looks again: one of the
  // two sees the other and moves the entry (both may: moving is idempotent). Moving also clears what a
  // delivery that died between its append and this second look left behind.
  if (refusalId !== undefined && (refusedAlready || (await store.holdsTimeline(refusalId)))) {
    appended = (await store.appendToTimeline({ requestId: refusalId, entry })) || appended;
    if (await store.moveEntry({ from: requestId, eventId: entry.eventId, to: refusalId })) {
      changed.add(requestId);
    }
    changed.add(refusalId);
  }
  if (refusedSubmission !== undefined) {
    const { requestId: namedId, eventId } = refusedSubmission;
    if (await store.moveEntry({ from: namedId, eventId, to: requestId })) changed.add(namedId);
  }
  return { appended, changed: [...changed] };
};

/** Projects a request's view from its timeline and saves it; no view once every entry moved away. */
const projectAgain = (store: AuditStore) => async (requestId: string) => {
  const { entries, version } = await store.readTimeline(requestId);
  if (entries.length === 0) {
    return {
      requestId,
      status: undefined,
      submittedAt: undefined,
      viewSaved: await store.vacateView(requestId, version),
    };
  }
  const view = projectView(requestId, entries);
  const { status, submittedAt } = view;
  return { requestId, status, submittedAt, viewSaved: await store.saveView(view, version) };
};

const logger = new Logger({ serviceName: "audit" });

export const handler = middy(
  createFlowEventHandler({ store: auditStore, aggregates: aggregatesStore, logger }),
)
  .use(injectLambdaContext(logger))
  .use(observe("audit"))
  .use(parser({ schema: RawEnvelopeSchema }));
