import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import type { z } from "zod";
import type { EventContract } from "./contract.ts";

/**
 * The envelope EventBridge wraps around a detail (id, version, source, detail-type, account, region,
 * time, resources, detail), typed with the contract's detail schema. Consumers that need the event id
 * or time (audit, notifier) parse with this; the others use Powertools' `EventBridgeEnvelope`.
 */
export const envelopeSchemaOf = <C extends EventContract>(contract: C) =>
  EventBridgeSchema.extend({ detail: contract.schema as C["schema"] });

export type Envelope<C extends EventContract> = z.output<ReturnType<typeof envelopeSchemaOf<C>>>;

/** The raw envelope, detail unparsed: for consumers that must handle details that fail the schema. */
export const RawEnvelopeSchema = EventBridgeSchema;
export type RawEnvelope = z.output<typeof EventBridgeSchema>;
