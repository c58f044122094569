import "../../../test/support/service-environment.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { createIntakeStore, type IntakeStore } from "../store.ts";
import { rejectionsTable, requestsTable, tables } from "../tables.ts";

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
