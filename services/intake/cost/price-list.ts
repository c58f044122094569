import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { z } from "zod";
import { traced } from "../../shared/observability.ts";
import { type PriceLookup, queryKeyOf } from "./estimate.ts";
import type { PriceQuery } from "./price-queries.ts";

/**
 * The AWS Price List API answers in us-east-1 (and two other regions), whatever region the resources
 * are priced for; locally the edge answers it in any region.
 */
export const PRICE_LIST_REGION = "us-east-1";

/** List prices change a few times a year: a warm function asks again for a product only after this. */
export const PRICE_CACHE_TTL_MS = 6 * 60 * 60 * 1000;

export class PriceListError extends Error {
  override readonly name = "PriceListError";
}

/** The parts of a Price List product (one `PriceList` entry, itself a JSON document) the estimate reads. */
const priceListEntrySchema = z.object({
  publicationDate: z.string().regex(/^\d{4}-\d{2}-\d{2}/),
  terms: z.object({
    OnDemand: z.record(
      z.string(),
      z.object({
        priceDimensions: z.record(
          z.string(),
          z.object({ beginRange: z.string().optional(), pricePerUnit: z.object({ USD: z.string() }) }),
        ),
      }),
    ),
  }),
});

type PriceListEntry = z.output<typeof priceListEntrySchema>;

/** A tiered price (S3's storage) is priced at its first tier, where a new resource starts. */
const firstTierUsdOf = (entry: PriceListEntry): number[] =>
  Object.values(entry.terms.OnDemand).flatMap((term) =>
    Object.values(term.priceDimensions)
      .filter((dimension) => (dimension.beginRange ?? "0") === "0")
      .map((dimension) => Number(dimension.pricePerUnit.USD)),
  );

const parseEntry = (text: unknown): PriceListEntry => {
  try {
    return priceListEntrySchema.parse(JSON.parse(String(text)));
  } catch (cause) {
    throw new PriceListError("The Price List answered a product the estimate cannot read", { cause });
  }
};

/** One product's on-demand price, or why there is none: the filters match no product, or several prices. */
const lookupOf = (priceList: readonly unknown[]): PriceLookup => {
  const entries = priceList.map(parseEntry);
  const prices = new Set(entries.flatMap(firstTierUsdOf));
  const [usd] = prices;
  if (usd === undefined || !Number.isFinite(usd)) return { kind: "not-listed" };
  if (prices.size > 1) return { kind: "ambiguous", count: prices.size };
  const publishedOn = entries.map((entry) => entry.publicationDate.slice(0, 10)).sort()[0] as string;
  return { kind: "found", usd, publishedOn };
};

export interface PriceListDeps {
  client: PricingClient;
  now: () => number;
  ttlMs?: number;
}

export interface PriceList {
  /** Throws PriceListError when the Price List cannot be asked (throttling, network, access). */
  lookup(query: PriceQuery): Promise<PriceLookup>;
}

/**
 * GetProducts with TERM_MATCH filters, each answer kept per filter set for `ttlMs`; a failed call is
 * not kept, so the next estimate asks again.
 */
export const createPriceList = ({ client, now, ttlMs = PRICE_CACHE_TTL_MS }: PriceListDeps): PriceList => {
  const cache = new Map<string, { expiresAt: number; answer: Promise<PriceLookup> }>();

  const ask = async ({ serviceCode, filters }: PriceQuery): Promise<PriceLookup> => {
    try {
      const { PriceList = [] } = await client.send(
        new GetProductsCommand({
          ServiceCode: serviceCode,
          FormatVersion: "aws_v1",
          Filters: Object.entries(filters).map(([Field, Value]) => ({ Type: "TERM_MATCH", Field, Value })),
          // The filters name one product; a few more answers only show they do not.
          MaxResults: 10,
        }),
      );
      return lookupOf(PriceList);
    } catch (error) {
      if (error instanceof PriceListError) throw error;
      throw new PriceListError(`GetProducts for ${serviceCode} failed: ${(error as Error).name}`, {
        cause: error,
      });
    }
  };

  return {
    lookup: (query) => {
      const key = queryKeyOf(query);
      const cached = cache.get(key);
      if (cached && cached.expiresAt > now()) return cached.answer;
      const answer = ask(query);
      cache.set(key, { expiresAt: now() + ttlMs, answer });
      answer.catch(() => {
        if (cache.get(key)?.answer === answer) cache.delete(key);
      });
      return answer;
    },
  };
};

export const priceList = createPriceList({
  client: traced(new PricingClient({ region: PRICE_LIST_REGION })),
  now: Date.now,
});
