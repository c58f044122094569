import { PricingClient } from "@aws-sdk/client-pricing";
import { SERVICES_ROLE_ARN } from "../../../infra/local/edge/principals.ts";
import { type RunningEdge, startEdge } from "../../../infra/local/edge/server.ts";
import { createPricingApi } from "../../../infra/local/pricing/api.ts";
import { loadPriceSnapshot, type PriceSnapshot } from "../../../infra/local/pricing/snapshot.ts";
import { createPriceList, PRICE_LIST_REGION, type PriceList } from "../cost/price-list.ts";

export interface TestPriceList {
  edge: RunningEdge;
  snapshot: PriceSnapshot;
  client: PricingClient;
  priceList: PriceList;
  close(): Promise<void>;
}

const CREDENTIALS = {
  accessKeyId: "AKIAPRICINGTESTS2345",
  secretAccessKey: "pricing-test-secret-of-forty-characters-",
};

/**
 * The Price List as local mode serves it: the edge answering GetProducts from the committed snapshot,
 * called by the real SDK client with the stack's signature.
 */
export const startTestPriceList = async (): Promise<TestPriceList> => {
  const snapshot = loadPriceSnapshot();
  const edge = await startEdge({
    port: 0,
    services: { pricing: createPricingApi(snapshot) },
    principals: [{ arn: SERVICES_ROLE_ARN, ...CREDENTIALS }],
  });
  const client = new PricingClient({
    region: PRICE_LIST_REGION,
    endpoint: edge.url,
    credentials: CREDENTIALS,
  });
  return {
    edge,
    snapshot,
    client,
    priceList: createPriceList({ client, now: Date.now }),
    close: async () => {
      client.destroy();
      await edge.close();
    },
  };
};
