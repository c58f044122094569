import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

/** Where a publisher claims the right to send one event, and records that it went out. */
export interface PublicationLedger {
  /** Resolves true when this token now holds the claim (nobody published, no live claim). */
  claim(input: { key: string; token: string; now: Date; leaseMs: number }): Promise<boolean>;
  status(input: { key: string; now: Date }): Promise<"published" | "claimed" | "free">;
  markPublished(input: { key: string }): Promise<void>;
  /** Gives a claim back (only if this token still holds it) so the next delivery can publish. */
  release(input: { key: string; token: string }): Promise<void>;
}

export class PublicationInProgressError extends Error {
  override readonly name = "PublicationInProgressError";
}

/** Longer than a handler may run (its Lambda timeout): a live claim means its publisher is still at it. */
export const CLAIM_LEASE_MS = 60_000;
/** Polls of a claim held by a concurrent delivery before leaving it to the bus's retry (about 5 s). */
const MAX_POLLS = 12;
const pollDelayMs = (poll: number) => Math.min(25 * 2 ** poll, 800);

export type PublishOutcome = "published" | "already-published";

/**
 * Publishes the event for `key` once across redeliveries and concurrent copies: one delivery claims
 * it, publishes, then records that it did; the others wait for that record. A crash between the
 * publish and the record lets a later delivery publish again once the lease is up, so consumers must
 * (and do) tolerate a rare duplicate. If the claimant is still at work after the polls, this delivery
 * throws, and the bus's retry finds the event published (or the claim free).
 */
export const publishOnce = async ({
  ledger,
  key,
  publish,
  now,
}: {
  ledger: PublicationLedger;
  key: string;
  publish: () => Promise<unknown>;
  now: () => Date;
}): Promise<PublishOutcome> => {
  const token = randomUUID();
  for (let poll = 0; ; poll++) {
    if (await ledger.claim({ key, token, now: now(), leaseMs: CLAIM_LEASE_MS })) {
      try {
        await publish();
      } catch (publishError) {
        // The publish error is what the bus must retry on; a failed release is covered by the lease.
        await ledger.release({ key, token }).catch(() => undefined);
        throw publishError;
      }
      await ledger.markPublished({ key });
      return "published";
    }
    const status = await ledger.status({ key, now: now() });
    if (status === "published") return "already-published";
    if (poll >= MAX_POLLS) {
      throw new PublicationInProgressError(`Another delivery is still publishing the event for ${key}`);
    }
    if (status === "claimed") await sleep(pollDelayMs(poll));
  }
};
