import { describe, expect, it } from "vitest";
import { SERVICES_ROLE_ARN } from "../edge/principals.ts";
import type { EdgeRequest } from "../edge/types.ts";
import { createPricingApi } from "./api.ts";
import { loadPriceSnapshot } from "./snapshot.ts";

const snapshot = loadPriceSnapshot();
const pricing = createPricingApi(snapshot);

const call = async (body: unknown, target = "AWSPriceListService.GetProducts") => {
  const request: EdgeRequest = {
    method: "POST",
    path: "/",
    query: new URLSearchParams(),
    headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.1" },
    body: Buffer.from(JSON.stringify(body)),
    region: "us-east-1",
    principal: { arn: SERVICES_ROLE_ARN, accessKeyId: "AKIATEST", secretAccessKey: "secret" },
  };
  const answer = await pricing(request);
  return { status: answer.status, headers: answer.headers, body: JSON.parse(String(answer.body)) };
};

const termMatch = (filters: Record<string, string>) =>
  Object.entries(filters).map(([Field, Value]) => ({ Type: "TERM_MATCH", Field, Value }));

describe("the local Price List's GetProducts", () => {
  it("renders a match as the Price List does: a JSON string with the product's attributes and its on-demand price", async () => {
    const { status, body } = await call({
      ServiceCode: "AmazonRDS",
      FormatVersion: "aws_v1",
      Filters: termMatch({
        regionCode: "eu-west-1",
        productFamily: "Database Instance",
        instanceType: "db.t4g.micro",
        databaseEngine: "PostgreSQL",
        deploymentOption: "Multi-AZ",
      }),
    });

    expect(status).toBe(200);
    expect(body.FormatVersion).toBe("aws_v1");
    expect(body.PriceList).toHaveLength(1);
    const product = JSON.parse(body.PriceList[0]);
    expect(product.product.attributes).toMatchObject({
      servicecode: "AmazonRDS",
      location: "EU (Ireland)",
      regionCode: "eu-west-1",
      instanceType: "db.t4g.micro",
      databaseEngine: "PostgreSQL",
      deploymentOption: "Multi-AZ",
    });
    const [term] = Object.values(product.terms.OnDemand) as { priceDimensions: Record<string, unknown> }[];
    expect(Object.values(term?.priceDimensions ?? {})).toEqual([
      expect.objectContaining({
        unit: "Hrs",
        beginRange: "0",
        pricePerUnit: {
          USD: (snapshot.regions["eu-west-1"]?.rds["db.t4g.micro"]?.PostgreSQL?.["Multi-AZ"] ?? 0).toFixed(
            10,
          ),
        },
      }),
    ]);
    expect(product.publicationDate).toBe(`${snapshot.pricesAsOf}T00:00:00Z`);
  });

  it("answers an empty PriceList for a filter on an attribute no product has, and for a value none has", async () => {
    const unknownField = await call({
      ServiceCode: "AmazonS3",
      Filters: termMatch({ regionCode: "us-east-1", colour: "blue" }),
    });
    const unknownValue = await call({
      ServiceCode: "AmazonEC2",
      Filters: termMatch({ instanceType: "x9.huge" }),
    });

    expect(unknownField.body.PriceList).toEqual([]);
    expect(unknownValue.body.PriceList).toEqual([]);
  });

  it("pages through the matches with MaxResults and NextToken", async () => {
    const filters = termMatch({ regionCode: "us-east-1", productFamily: "Storage" });
    const first = await call({ ServiceCode: "AmazonEC2", Filters: filters, MaxResults: 4 });
    const rest = await call({
      ServiceCode: "AmazonEC2",
      Filters: filters,
      MaxResults: 4,
      NextToken: first.body.NextToken,
    });

    const volumes = [...first.body.PriceList, ...rest.body.PriceList].map(
      (entry: string) => JSON.parse(entry).product.attributes.volumeApiName,
    );
    expect(volumes.sort()).toEqual(Object.keys(snapshot.regions["us-east-1"]?.ebs ?? {}).sort());
    expect(rest.body.NextToken).toBeUndefined();
  });

  it("refuses a filter type it does not match, and an operation it does not serve", async () => {
    const contains = await call({
      ServiceCode: "AmazonEC2",
      Filters: [{ Type: "CONTAINS", Field: "instanceType", Value: "t3" }],
    });
    const describeServices = await call({}, "AWSPriceListService.DescribeServices");

    expect(contains).toMatchObject({
      status: 400,
      headers: { "x-amzn-errortype": "InvalidParameterException" },
    });
    expect(describeServices).toMatchObject({
      status: 400,
      headers: { "x-amzn-errortype": "UnknownOperationException" },
    });
  });
});
