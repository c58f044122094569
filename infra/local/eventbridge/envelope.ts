import { randomUUID } from "node:crypto";
import { type BusEvent, LOCAL_ACCOUNT_ID } from "./types.ts";

export interface NewEvent {
  source: string;
  detailType: string;
  detail: unknown;
  region: string;
  resources?: string[];
  time?: Date;
  account?: string;
}

/** An event as EventBridge delivers it: a fresh id, and the time in whole seconds as AWS writes it. */
export const newBusEvent = ({
  source,
  detailType,
  detail,
  region,
  resources = [],
  time = new Date(),
  account = LOCAL_ACCOUNT_ID,
}: NewEvent): BusEvent => ({
  version: "0",
  id: randomUUID(),
  "detail-type": detailType,
  source,
  account,
  time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
  region,
  resources,
  detail,
});
