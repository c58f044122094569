import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BusLogger } from "../../infra/local/eventbridge/bus.ts";
import { type BusEvent, LOCAL_ACCOUNT_ID } from "../../infra/local/eventbridge/types.ts";

/** A fresh directory for a bus's data, under the system's temp dir. */
export const temporaryDataDir = () => mkdtemp(join(tmpdir(), "local-bus-"));

export const silentLogger: BusLogger = { info() {}, warn() {}, error() {} };

/** An envelope as the EventBridge API builds it for an accepted PutEvents entry. */
export const busEvent = (fields: Partial<BusEvent> = {}): BusEvent => ({
  version: "0",
  id: randomUUID(),
  "detail-type": "Thing Happened",
  source: "test.source",
  account: LOCAL_ACCOUNT_ID,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: "us-east-1",
  resources: [],
  detail: {},
  ...fields,
});
