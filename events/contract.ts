import type { z } from "zod";

/**
 * One event of the catalog: producers publish with it, consumers parse with it and subscriptions build
 * their patterns from it, so the name, source and schema are written down once.
 */
export interface EventContract<DetailType extends string = string, Schema extends z.ZodType = z.ZodType> {
  /** The `source` of the service of ours that publishes it. */
  readonly source: string;
  /** The sources of other services of ours that publish it too (e.g. approval-mail's policy refusals). */
  readonly otherProducers?: readonly string[];
  /**
   * Outside systems publish it under sources of their own, so consumers take it whatever its source. Only
   * the public contract (ResourceRequested) is: any other event counts only from its producers.
   */
  readonly openToAnySource?: true;
  readonly detailType: DetailType;
  readonly schema: Schema;
  readonly description: string;
}

export type DetailOf<C extends EventContract> = z.output<C["schema"]>;
export type DetailInputOf<C extends EventContract> = z.input<C["schema"]>;

/** The sources our services publish this event under. */
export const producersOf = (contract: EventContract): readonly string[] => [
  contract.source,
  ...(contract.otherProducers ?? []),
];

export const defineEvent = <const DetailType extends string, Schema extends z.ZodType>(
  contract: EventContract<DetailType, Schema>,
): EventContract<DetailType, Schema> => contract;

/** The bus every service of the flow publishes to and subscribes on. */
export const APPROVALS_BUS = "approvals";
/** AWS publishes its own service events (EC2 state changes) to the account's default bus. */
export const DEFAULT_BUS = "default";
