import "./environment.ts";
import { Logger } from "@aws-lambda-powertools/logger";
import type { DetailOf, EventContract } from "../../../events/contract.ts";
import type { Publisher } from "../../../events/publish.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { createIntakeStore, type IntakeStore } from "../store.ts";
import { rejectionsTable, requestsTable, tables } from "../tables.ts";

export interface PublishedEvent {
  detailType: string;
  detail: unknown;
}

export class PublishRefusedError extends Error {
  override readonly name = "PublishRefusedError";
}

/**
 * A publisher that checks each detail against its contract, as the real one does, and records it.
 * `failNext` makes the next calls fail as an unreachable bus would.
 */
export const recordingPublisher = () => {
  const published: PublishedEvent[] = [];
  let failuresLeft = 0;
  const publish: Publisher["publish"] = async (contract, details) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new PublishRefusedError("EventBridge is unreachable");
    }
    const list: unknown[] = Array.isArray(details) ? details : [details];
    for (const detail of list) {
      published.push({ detailType: contract.detailType, detail: contract.schema.parse(detail) });
    }
    return list.map((_, index) => `event-${published.length - list.length + index}`);
  };
  return {
    publish,
    published,
    failNext: (times = 1) => {
      failuresLeft = times;
    },
    detailsOf: <C extends EventContract>(contract: C) =>
      published
        .filter((event) => event.detailType === contract.detailType)
        .map((event) => event.detail as DetailOf<C>),
  };
};

export const silentLogger = () => new Logger({ serviceName: "intake-test", logLevel: "SILENT" });

export interface TestStore {
  dynamo: TestDynamo;
  store: IntakeStore;
}

/** The intake store on an in-memory dynalite with intake's own table specs. */
export const startTestStore = async (): Promise<TestStore> => {
  const dynamo = await startTestDynamo(tables);
  return {
    dynamo,
    store: createIntakeStore(dynamo.document, { requests: requestsTable.id, rejections: rejectionsTable.id }),
  };
};
