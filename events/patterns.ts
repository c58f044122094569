import { type EventContract, producersOf } from "./contract.ts";

/** An EventBridge event pattern, as rules and `TestEventPattern` take it. */
export type EventPattern = { [field: string]: unknown };

/**
 * The pattern that selects these events only as their producers publish them: each under the sources
 * the catalog gives it, so an event of ours published by anyone else matches nothing. Only a contract
 * open to any source (ResourceRequested, which outside systems publish) is matched by detail-type alone.
 * One alternative per source, joined by `$or` when there is more than one.
 */
export const producedBy = (...contracts: [EventContract, ...EventContract[]]): EventPattern => {
  const openDetailTypes: string[] = [];
  const detailTypesBySource = new Map<string, string[]>();
  for (const contract of contracts) {
    if (contract.openToAnySource) {
      openDetailTypes.push(contract.detailType);
      continue;
    }
    for (const source of producersOf(contract)) {
      detailTypesBySource.set(source, [...(detailTypesBySource.get(source) ?? []), contract.detailType]);
    }
  }
  const alternatives: EventPattern[] = [
    ...(openDetailTypes.length > 0 ? [{ "detail-type": openDetailTypes }] : []),
    ...[...detailTypesBySource].map(([source, detailTypes]) => ({
      source: [source],
      "detail-type": detailTypes,
    })),
  ];
  const [only] = alternatives;
  return alternatives.length === 1 && only ? only : { $or: alternatives };
};
