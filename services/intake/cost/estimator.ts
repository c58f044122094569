import { Logger } from "@aws-lambda-powertools/logger";
import type { Region } from "../../../events/region.ts";
import type { Resource } from "../../../events/request.ts";
import { costLinesOf, type Estimate, estimateOf, type PriceLookup, queryKeyOf } from "./estimate.ts";
import { priceList as awsPriceList, type PriceList } from "./price-list.ts";
import type { PriceQuery } from "./price-queries.ts";

export interface EstimatorDeps {
  priceList: PriceList;
  logger: Logger;
  now: () => Date;
}

export type Estimator = (resource: Resource, region: Region) => Promise<Estimate>;

/**
 * Prices a resource from the Price List. A Price List that cannot be asked never blocks a submission:
 * the parts it would have priced are unknown, with the reason, and the failure is logged.
 */
export const createEstimator =
  ({ priceList, logger, now }: EstimatorDeps): Estimator =>
  async (resource, region) => {
    const lines = costLinesOf(resource, region);
    const queries = new Map(
      lines
        .flatMap((line) => [line.price, ...(line.less ? [line.less] : [])])
        .map((query) => [queryKeyOf(query), query]),
    );
    const answers = new Map<string, PriceLookup>(
      await Promise.all(
        [...queries].map(async ([key, query]): Promise<[string, PriceLookup]> => {
          try {
            return [key, await priceList.lookup(query)];
          } catch (error) {
            logger.warn("Price List lookup failed; the part is estimated as unknown", { query, error });
            return [key, { kind: "unreadable", reason: (error as Error).message }];
          }
        }),
      ),
    );
    const lookup = (query: PriceQuery): PriceLookup =>
      answers.get(queryKeyOf(query)) ?? { kind: "not-listed" };
    return estimateOf(resource, region, lines, lookup, now().toISOString().slice(0, 10));
  };

export const estimator = createEstimator({
  priceList: awsPriceList,
  logger: new Logger({ serviceName: "intake" }),
  now: () => new Date(),
});
