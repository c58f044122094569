import { APPROVALS_BUS } from "../../../events/contract.ts";
import { tableNameEnvironment } from "../../../infra/local/tables.ts";
import { tables } from "../tables.ts";

/**
 * Imported first by tests of modules that read their environment at load (the real wiring beside the
 * factories under test): the table names match the tables `startTestDynamo` creates from the specs.
 */
Object.assign(process.env, {
  EVENT_BUS_NAME: APPROVALS_BUS,
  SENDER: "approvals@example.com",
  ...tableNameEnvironment(tables),
});
