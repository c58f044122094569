import { z } from "zod";
import { type EdgeRequest, type EdgeResponse, jsonError, type ServiceHandler } from "../edge/types.ts";
import type { PriceSnapshot, Product } from "./snapshot.ts";
import { productsOf } from "./snapshot.ts";

/**
 * The AWS Price List Query API (service `pricing`, JSON 1.1 protocol) as far as the services use it:
 * `GetProducts`, answered from the committed snapshot. Each match is rendered as the Price List renders
 * a product: a JSON document as a string, with the product's attributes and its on-demand term.
 */

const TARGET_PREFIX = "AWSPriceListService.";
/** The Price List's code of the on-demand offer term and of its one price dimension. */
const ON_DEMAND_TERM = "JRTCKXETXF";
const PRICE_DIMENSION = "6YS6EN2CT7";
const MAX_RESULTS = 100;

const getProductsInputSchema = z.object({
  ServiceCode: z.string().min(1, "ServiceCode must be given"),
  FormatVersion: z.literal("aws_v1").optional(),
  Filters: z
    .array(
      z.object({
        Type: z.literal("TERM_MATCH", "the local edge matches filters of Type TERM_MATCH only"),
        Field: z.string().min(1),
        Value: z.string(),
      }),
    )
    .optional(),
  NextToken: z.string().regex(/^\d+$/, "NextToken is not one this edge gave").optional(),
  MaxResults: z.number().int().min(1).max(MAX_RESULTS).optional(),
});

const answer = (body: object): EdgeResponse => ({
  status: 200,
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: JSON.stringify(body),
});

const priceListEntryOf = (product: Product, publicationDate: string): string => {
  const offer = `${product.sku}.${ON_DEMAND_TERM}`;
  const rateCode = `${offer}.${PRICE_DIMENSION}`;
  return JSON.stringify({
    product: { productFamily: product.productFamily, attributes: product.attributes, sku: product.sku },
    serviceCode: product.serviceCode,
    terms: {
      OnDemand: {
        [offer]: {
          priceDimensions: {
            [rateCode]: {
              unit: product.unit,
              endRange: product.endRange ?? "Inf",
              description: product.description,
              appliesTo: [],
              rateCode,
              beginRange: "0",
              pricePerUnit: { USD: product.usd.toFixed(10) },
            },
          },
          sku: product.sku,
          effectiveDate: publicationDate,
          offerTermCode: ON_DEMAND_TERM,
          termAttributes: {},
        },
      },
    },
    version: publicationDate.replaceAll(/\D/g, ""),
    publicationDate,
  });
};

/**
 * Matches as AWS does: every filter names an attribute the product has with exactly that value, so a
 * filter on an attribute no product has matches nothing and the answer is an empty PriceList.
 */
const matches = (
  product: Product,
  serviceCode: string,
  filters: readonly { Field: string; Value: string }[],
) =>
  product.serviceCode === serviceCode &&
  filters.every(
    ({ Field, Value }) => Object.hasOwn(product.attributes, Field) && product.attributes[Field] === Value,
  );

export const createPricingApi = (snapshot: PriceSnapshot): ServiceHandler => {
  const products = productsOf(snapshot);
  const publicationDate = `${snapshot.pricesAsOf}T00:00:00Z`;

  const getProducts = (body: unknown): EdgeResponse => {
    const input = getProductsInputSchema.safeParse(body);
    if (!input.success) {
      return jsonError(
        400,
        "InvalidParameterException",
        input.error.issues.map((issue) => issue.message).join("; "),
      );
    }
    const { ServiceCode, Filters = [], NextToken, MaxResults = MAX_RESULTS } = input.data;
    const found = products.filter((product) => matches(product, ServiceCode, Filters));
    const start = NextToken === undefined ? 0 : Number(NextToken);
    const page = found.slice(start, start + MaxResults);
    const next = start + page.length;
    return answer({
      FormatVersion: "aws_v1",
      PriceList: page.map((product) => priceListEntryOf(product, publicationDate)),
      ...(next < found.length && { NextToken: String(next) }),
    });
  };

  return async ({ method, headers, body }: EdgeRequest) => {
    const target = headers["x-amz-target"];
    if (method !== "POST" || typeof target !== "string" || !target.startsWith(TARGET_PREFIX)) {
      return jsonError(
        400,
        "UnknownOperationException",
        "Expected a POST with an X-Amz-Target of AWSPriceListService",
      );
    }
    const operation = target.slice(TARGET_PREFIX.length);
    if (operation !== "GetProducts") {
      return jsonError(
        400,
        "UnknownOperationException",
        `The local edge does not serve Pricing ${operation}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8") || "{}");
    } catch {
      return jsonError(400, "SerializationException", "The body is not JSON");
    }
    return getProducts(parsed);
  };
};
