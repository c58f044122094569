import { z } from "zod";
import { pinnedEnvelopeSchemaOf } from "../../events/envelope.ts";
import { ExtensionDecided, ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";

/** The events a lease follows besides its own timers, each only from its producers (subscriptions.ts). */
export const LEASE_NEWS = [
  RequestApproved,
  ResourceProvisioned,
  ExtensionDecided,
  ResourceReleased,
  ReleaseFailed,
] as const;

export const leaseNewsSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(RequestApproved),
  pinnedEnvelopeSchemaOf(ResourceProvisioned),
  pinnedEnvelopeSchemaOf(ExtensionDecided),
  pinnedEnvelopeSchemaOf(ResourceReleased),
  pinnedEnvelopeSchemaOf(ReleaseFailed),
]);

export type LeaseNews = z.output<typeof leaseNewsSchema>;
