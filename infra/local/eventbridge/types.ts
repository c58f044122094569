import type { EventPattern } from "../../../events/patterns.ts";

/** The envelope EventBridge delivers to targets, exactly as AWS shapes it. */
export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** A target invocation: resolves when the target handled the event, rejects to have it retried. */
export type RuleTarget = (event: BusEvent) => Promise<void>;

interface RuleBase {
  /** Unique per bus; delivery progress is recorded under it, so it must be stable across restarts. */
  name: string;
  target: RuleTarget;
}

export interface PatternRule extends RuleBase {
  eventBusName: string;
  pattern: EventPattern;
}

export interface ScheduledRule extends RuleBase {
  /** `rate(N minute|minutes|hour|hours|day|days)` as EventBridge writes it. */
  schedule: string;
}

export type LocalRule = PatternRule | ScheduledRule;

/** An entry PutEvents accepted, with its envelope already built (id, time, account, region). */
export interface AcceptedEvent {
  eventBusName: string;
  event: BusEvent;
}

/** What the EventBridge API needs from the bus engine. */
export interface EventBusEngine {
  /** Names of the buses that exist (`default` and `approvals` locally). */
  readonly busNames: readonly string[];
  /** Durably records the events (on disk before it resolves) and queues their delivery. */
  accept(events: AcceptedEvent[]): Promise<void>;
}

/** The account id the local runtime reports in envelopes and ARNs. */
export const LOCAL_ACCOUNT_ID = "000000000000";

/** Why a target invocation failed, as the dead-letter store keeps it. */
export interface DeliveryFailure {
  name: string;
  message: string;
}

/** An (event, rule) delivery that used up its attempts; kept until it is redriven. */
export interface DeadLetter {
  id: string;
  eventBusName: string;
  ruleName: string;
  event: BusEvent;
  error: DeliveryFailure;
  attempts: number;
  deadLetteredAt: string;
}

/** What the dead-letter routes and the `dlq` command need from the bus. */
export interface DeadLetterStore {
  listDeadLetters(): DeadLetter[];
  /** Queues the given dead letters (all of them without ids) for delivery again, with fresh attempts. */
  redrive(ids?: string[]): Promise<DeadLetter[]>;
}
