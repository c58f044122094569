import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import { z } from "zod";
import type { EventContract } from "./contract.ts";

/**
 * The envelope EventBridge wraps around a detail (id, version, source, detail-type, account, region,
 * time, resources, detail), typed with the contract's detail schema. Consumers that need the event id
 * or time (audit, notifier) parse with this; the others use Powertools' `EventBridgeEnvelope`.
 */
export const envelopeSchemaOf = <C extends EventContract>(contract: C) =>
  EventBridgeSchema.extend({ detail: contract.schema as C["schema"] });

/**
 * The envelope of one contract with its detail-type pinned, so that a consumer of several events can
 * parse them as one `z.discriminatedUnion("detail-type", ...)` and tell them apart.
 */
export const pinnedEnvelopeSchemaOf = <C extends EventContract>(contract: C) =>
  envelopeSchemaOf(contract).extend({ "detail-type": z.literal(contract.detailType as C["detailType"]) });

export type Envelope<C extends EventContract> = z.output<ReturnType<typeof envelopeSchemaOf<C>>>;

/** The raw envelope, detail unparsed: for consumers that must handle details that fail the schema. */
export const RawEnvelopeSchema = EventBridgeSchema;
export type RawEnvelope = z.output<typeof EventBridgeSchema>;
