import type { DetailInputOf, EventContract } from "../../../events/contract.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import { type NotifiableEvent, notifiableEventSchema } from "../../shared/request-news.ts";

/** The event as the bus delivers it to the notifier: envelope and detail, parsed by the handler's schema. */
export const delivered = <C extends EventContract>(contract: C, detail: DetailInputOf<C>): NotifiableEvent =>
  notifiableEventSchema.parse(envelopeOf(contract, detail));
