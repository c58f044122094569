import type { DetailOf, EventContract } from "../../events/contract.ts";
import type { Publisher } from "../../events/publish.ts";

export interface PublishedEvent<Detail = Record<string, unknown>> {
  detailType: string;
  source: string;
  detail: Detail;
}

export class PublishRefusedError extends Error {
  override readonly name = "PublishRefusedError";
}

/**
 * A publisher that checks each detail against its contract, as the real one does, and records it with
 * the source it went out under. `failNext` makes the next calls fail as an unreachable bus would.
 */
export const recordingPublisher = () => {
  const published: PublishedEvent[] = [];
  let failuresLeft = 0;
  const publish: Publisher["publish"] = async (contract, details, options = {}) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new PublishRefusedError("EventBridge is unreachable");
    }
    const list: unknown[] = Array.isArray(details) ? details : [details];
    for (const detail of list) {
      published.push({
        detailType: contract.detailType,
        source: options.source ?? contract.source,
        detail: contract.schema.parse(detail) as Record<string, unknown>,
      });
    }
    return list.map((_, index) => `event-${published.length - list.length + index}`);
  };
  const eventsOf = <C extends EventContract>(contract: C) =>
    published.filter((event) => event.detailType === contract.detailType) as PublishedEvent<DetailOf<C>>[];
  return {
    publish,
    published,
    failNext: (times = 1) => {
      failuresLeft = times;
    },
    eventsOf,
    detailsOf: <C extends EventContract>(contract: C) => eventsOf(contract).map((event) => event.detail),
  };
};

export type RecordingPublisher = ReturnType<typeof recordingPublisher>;
