import { tableNameEnvironment } from "../../infra/local/tables.ts";
import { tables } from "./tables.ts";

// Imported first by the audit tests: the service's modules read their environment once, when they load,
// and here get the table names the local runtime would give them.
Object.assign(process.env, tableNameEnvironment(tables));
