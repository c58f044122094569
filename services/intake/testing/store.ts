import "../../../test/support/service-environment.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import type { Idempotency } from "../../shared/idempotency.ts";
import { createIntakeStore, type IntakeStore } from "../store.ts";
import { idempotencyTable, requestsTable, tables } from "../tables.ts";

export interface TestStore {
  dynamo: TestDynamo;
  idempotency: Idempotency;
  store: IntakeStore;
}

/** The intake store on an in-memory dynalite with intake's own table specs. */
export const startTestStore = async (): Promise<TestStore> => {
  const dynamo = await startTestDynamo(tables);
  const idempotency = testIdempotency(dynamo, idempotencyTable.id, "intake");
  return {
    dynamo,
    idempotency,
    store: createIntakeStore(dynamo.document, { requests: requestsTable.id }, idempotency),
  };
};
