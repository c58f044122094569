import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { type DetailInputOf, type EventContract, producersOf } from "./contract.ts";
import { DetailValidationError } from "./validation.ts";

/** PutEvents takes at most this many entries per call. */
export const MAX_ENTRIES_PER_PUT = 10;

export interface FailedEntry {
  detailType: string;
  errorCode: string;
  errorMessage: string;
}

export class EventPublishError extends Error {
  override readonly name = "EventPublishError";
  constructor(
    readonly failedEntries: FailedEntry[],
    options?: ErrorOptions,
  ) {
    super(
      `EventBridge refused ${failedEntries.length} entr${failedEntries.length === 1 ? "y" : "ies"}: ${failedEntries
        .map((entry) => `${entry.detailType} (${entry.errorCode}: ${entry.errorMessage})`)
        .join("; ")}`,
      options,
    );
  }
}

/** A service of ours publishing an event under a source the catalog does not give it: consumers would ignore it. */
export class UnknownProducerError extends Error {
  override readonly name = "UnknownProducerError";
  constructor(detailType: string, source: string, producers: readonly string[]) {
    super(`${detailType} is published only under ${producers.join(" or ")}, not ${source}`);
  }
}

export interface PublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** How many times entries that failed are sent again before giving up. */
  resendAttempts?: number;
  /** Delay before the first resend, doubled each time. */
  resendBaseDelayMs?: number;
}

export interface PublishOptions {
  /** The publisher's own source when it is one of the contract's other producers. */
  source?: string;
  resources?: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An event of a contract as it goes out: its source, detail-type and detail as JSON. */
export interface OutgoingEvent {
  source: string;
  detailType: string;
  detail: string;
}

/**
 * The event a detail of `contract` goes out as, checked as every publication is: the source is one of
 * the contract's producers (any, for an open contract) and the detail is valid against its schema.
 */
export const outgoingEvent = <C extends EventContract>(
  contract: C,
  detail: DetailInputOf<C>,
  source: string = contract.source,
): OutgoingEvent => {
  const producers = producersOf(contract);
  if (!contract.openToAnySource && !producers.includes(source)) {
    throw new UnknownProducerError(contract.detailType, source, producers);
  }
  const parsed = contract.schema.safeParse(detail);
  if (!parsed.success) throw new DetailValidationError(contract.detailType, parsed.error);
  return { source, detailType: contract.detailType, detail: JSON.stringify(parsed.data) };
};

/**
 * A typed publisher: every detail is checked against its contract before it leaves, entries go out at
 * most ten a call, and only the entries EventBridge refused are sent again.
 */
export const createPublisher = ({
  client,
  eventBusName,
  resendAttempts = 3,
  resendBaseDelayMs = 50,
}: PublisherOptions) => {
  const putWithResend = async (entries: PutEventsRequestEntry[]): Promise<string[]> => {
    const eventIds: string[] = new Array(entries.length);
    let pending = entries.map((entry, index) => ({ entry, index }));
    let failures: FailedEntry[] = [];
    for (let attempt = 0; pending.length > 0 && attempt <= resendAttempts; attempt++) {
      if (attempt > 0) await sleep(resendBaseDelayMs * 2 ** (attempt - 1));
      const output = await client.send(new PutEventsCommand({ Entries: pending.map(({ entry }) => entry) }));
      const results = output.Entries ?? [];
      failures = [];
      const stillPending: typeof pending = [];
      pending.forEach((item, position) => {
        const result = results[position];
        if (result?.EventId && !result.ErrorCode) {
          eventIds[item.index] = result.EventId;
          return;
        }
        stillPending.push(item);
        failures.push({
          detailType: item.entry.DetailType ?? "",
          errorCode: result?.ErrorCode ?? "MissingResult",
          errorMessage: result?.ErrorMessage ?? "PutEvents returned no result for this entry",
        });
      });
      pending = stillPending;
    }
    if (pending.length > 0) throw new EventPublishError(failures);
    return eventIds;
  };

  /** Publishes details of one contract; resolves to their event ids, in order. */
  const publish = async <C extends EventContract>(
    contract: C,
    details: DetailInputOf<C> | readonly DetailInputOf<C>[],
    options: PublishOptions = {},
  ): Promise<string[]> => {
    const list = (Array.isArray(details) ? details : [details]) as DetailInputOf<C>[];
    const entries = list.map((detail): PutEventsRequestEntry => {
      const event = outgoingEvent(contract, detail, options.source);
      return {
        EventBusName: eventBusName,
        Source: event.source,
        DetailType: event.detailType,
        Detail: event.detail,
        Resources: options.resources,
      };
    });
    const eventIds: string[] = [];
    for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_PUT) {
      eventIds.push(...(await putWithResend(entries.slice(start, start + MAX_ENTRIES_PER_PUT))));
    }
    return eventIds;
  };

  return { publish };
};

export type Publisher = ReturnType<typeof createPublisher>;
