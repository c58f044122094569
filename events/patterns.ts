import type { EventContract } from "./contract.ts";

/** An EventBridge event pattern, as rules and `TestEventPattern` take it. */
export type EventPattern = { [field: string]: unknown };

/**
 * The pattern that selects these events by detail-type, whoever published them: outside systems
 * publish `ResourceRequested` under their own source.
 */
export const detailTypePattern = (...contracts: EventContract[]): EventPattern => ({
  "detail-type": contracts.map((contract) => contract.detailType),
});

/** The pattern that selects these events only from their contract's own source (e.g. `aws.ec2`). */
export const sourcePattern = (...contracts: EventContract[]): EventPattern => ({
  source: [...new Set(contracts.map((contract) => contract.source))],
  "detail-type": contracts.map((contract) => contract.detailType),
});
