import { describe, expect, it } from "vitest";
import { REQUEST_STATUSES } from "../events/request-status.ts";
import { PAGE_SIZE } from "./contract.ts";
import { openApiDocument } from "./openapi.ts";

const document = openApiDocument();

const operation = (path: string, method: "get" | "post") => {
  const found = document.paths?.[path]?.[method];
  expect(found, `${method.toUpperCase()} ${path}`).toBeDefined();
  return found as NonNullable<typeof found>;
};

const parametersOf = (path: string, method: "get" | "post") =>
  (operation(path, method).parameters ?? []).map((parameter) =>
    "name" in parameter
      ? { name: parameter.name, in: parameter.in, required: parameter.required }
      : parameter,
  );

const responseCodesOf = (path: string, method: "get" | "post") =>
  Object.keys(operation(path, method).responses ?? {}).sort();

describe("the API's OpenAPI document", () => {
  it("is an OpenAPI 3.1 document", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBeTruthy();
  });

  it("lists every route of the API, and nothing else", () => {
    const routes = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(routes.sort()).toEqual([
      "DELETE /api/delegations/mine",
      "GET /api/approvals",
      "GET /api/dashboard",
      "GET /api/delegations/mine",
      "GET /api/health",
      "GET /api/openapi.json",
      "GET /api/regions",
      "GET /api/requests",
      "GET /api/requests/{id}",
      "POST /api/approvals/{requestId}",
      "POST /api/estimates",
      "POST /api/link-decisions",
      "POST /api/link-decisions/preview",
      "POST /api/requests",
      "POST /api/requests/{id}/extend",
      "POST /api/requests/{id}/release",
      "POST /api/requests/{id}/withdraw",
      "PUT /api/delegations/mine",
    ]);
  });

  it("describes submitting a request: the ResourceRequested detail in, each way it can end out", () => {
    const submit = operation("/api/requests", "post");

    expect(submit.requestBody).toMatchObject({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/SubmissionBody" } } },
    });
    expect(document.components?.schemas?.SubmissionBody).toMatchObject({
      type: "object",
      // The requester is the signed-in caller: the body may leave it out.
      required: ["resource", "justification"],
      additionalProperties: false,
      properties: { requester: { description: expect.stringContaining("access token") } },
    });
    expect(responseCodesOf("/api/requests", "post")).toEqual([
      "202",
      "400",
      "401",
      "403",
      "409",
      "413",
      "415",
      "503",
    ]);
  });

  it("describes estimating a resource: a resource and an optional region in, the estimate out", () => {
    expect(operation("/api/estimates", "post").requestBody).toMatchObject({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/EstimateBody" } } },
    });
    expect(document.components?.schemas?.EstimateBody).toMatchObject({
      required: ["resource"],
      additionalProperties: false,
    });
    expect(document.components?.schemas?.Estimate).toMatchObject({
      required: ["region", "estimatedMonthlyCostUsd", "costEstimate"],
    });
    expect(responseCodesOf("/api/estimates", "post")).toEqual(["200", "400", "401", "403", "413", "415"]);
  });

  it("describes the list's optional filters and paging, with the page size's limits", () => {
    expect(parametersOf("/api/requests", "get")).toEqual([
      { name: "requester", in: "query", required: false },
      { name: "status", in: "query", required: false },
      { name: "limit", in: "query", required: false },
      { name: "cursor", in: "query", required: false },
    ]);
    const [, status, limit] = operation("/api/requests", "get").parameters ?? [];
    expect(status).toMatchObject({ schema: { enum: [...REQUEST_STATUSES] } });
    expect(limit).toMatchObject({
      schema: { type: "integer", minimum: 1, maximum: PAGE_SIZE.max, default: PAGE_SIZE.default },
    });
    expect(responseCodesOf("/api/requests", "get")).toEqual(["200", "400", "401", "403"]);
  });

  it("describes one request by its id in the path", () => {
    expect(parametersOf("/api/requests/{id}", "get")).toEqual([{ name: "id", in: "path", required: true }]);
    expect(responseCodesOf("/api/requests/{id}", "get")).toEqual(["200", "400", "401", "403", "404"]);
  });

  it("asks for a bearer token on the requests' routes, naming the groups each admits", () => {
    const signIn = (path: string, method: "get" | "post") => {
      const { security, "x-groups": groups } = operation(path, method) as {
        security?: unknown;
        "x-groups"?: unknown;
      };
      return { security, groups };
    };
    const everyone = ["requesters", "approvers", "operators"];

    expect(signIn("/api/requests", "post")).toEqual({
      security: [{ bearerAuth: [] }],
      groups: ["requesters"],
    });
    expect(signIn("/api/requests", "get")).toEqual({ security: [{ bearerAuth: [] }], groups: everyone });
    expect(signIn("/api/requests/{id}", "get")).toEqual({ security: [{ bearerAuth: [] }], groups: everyone });
    expect(signIn("/api/health", "get")).toEqual({ security: undefined, groups: undefined });
  });

  it("describes the health check and the document itself", () => {
    expect(responseCodesOf("/api/health", "get")).toEqual(["200"]);
    expect(responseCodesOf("/api/openapi.json", "get")).toEqual(["200"]);
  });

  it("describes a request's lease, its end on every listed request, and its cost so far on one request", () => {
    const schemas = document.components?.schemas ?? {};
    // An extended schema is its base's reference and the added properties, allOf.
    type Described = { properties?: object; allOf?: Described[] };
    const propertiesOf = (name: string): string[] => {
      const { properties = {}, allOf = [] } = schemas[name] as Described;
      return [...Object.keys(properties), ...allOf.flatMap((part) => Object.keys(part.properties ?? {}))];
    };

    expect(propertiesOf("RequestView")).toEqual(
      expect.arrayContaining(["lease", "leaseEndsAt", "provisionedAt"]),
    );
    expect(propertiesOf("RequestWithTimeline")).toContain("costSoFar");
    expect(propertiesOf("Lease")).toEqual(
      expect.arrayContaining(["duration", "onEnd", "startedAt", "endsAt", "extensions", "release"]),
    );
    expect(propertiesOf("LeaseExtension")).toEqual(
      expect.arrayContaining([
        "n",
        "from",
        "until",
        "justification",
        "askedBy",
        "status",
        "decider",
        "reason",
      ]),
    );
    expect(propertiesOf("LeaseRelease")).toEqual(
      expect.arrayContaining([
        "reason",
        "by",
        "note",
        "requestedAt",
        "outcome",
        "releasedAt",
        "problem",
        "kept",
      ]),
    );
    expect(propertiesOf("CostSoFar")).toEqual(["hours", "usd", "asOf"]);
    expect(propertiesOf("AwaitingApproval")).toContain("extension");
  });

  it("names the bodies it answers with, refusals included", () => {
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(["RequestView", "RequestWithTimeline", "RequestPage", "TimelineEntry", "Error"]),
    );
    expect(operation("/api/requests/{id}", "get").responses?.["404"]).toMatchObject({
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
  });
});
