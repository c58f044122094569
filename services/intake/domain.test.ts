import { describe, expect, it } from "vitest";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { canonicalJson, refusalIdOf, requestIdOf } from "../../events/request-id.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { sampleRequestContent } from "../../test/support/fixtures.ts";
import {
  acceptedDetail,
  contentHashOf,
  decide,
  type IntakeDecision,
  type IntakeRules,
  invalidDetail,
  MAX_REPORTED_ERRORS,
  REUSED_ID_MESSAGE,
  reusedIdRejection,
} from "./domain.ts";

const EVENT_ID = "0d7c1a9e-5b7a-4c1e-9f57-2f1f3c1f0a11";
/** Two allowed regions, so a region other than the default can be asked for; leases of an hour to 90 days. */
const RULES: IntakeRules = {
  allowedRegions: ["us-east-1", "eu-west-1"],
  defaultRegion: "us-east-1",
  lease: { min: "PT1H", max: "P90D" },
};
const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const withResource = (resource: Record<string, unknown>) => {
  const detail = sampleRequestContent();
  return { ...detail, resource: { ...detail.resource, ...resource } };
};

const rejected = (decision: IntakeDecision) => {
  if (decision.kind !== "reject") throw new Error(`expected a rejection, got ${JSON.stringify(decision)}`);
  return decision;
};

const accepted = (decision: IntakeDecision) => {
  if (decision.kind !== "accept") throw new Error(`expected an acceptance, got ${JSON.stringify(decision)}`);
  return decision;
};

describe("decide: each field rule of ResourceRequested names its field and why", () => {
  it.each([
    [
      "an invalid requester email",
      { requester: { email: "ana-at-example.com" } },
      "requester.email",
      "must be a valid email address",
    ],
    [
      "a requester email with CRLF (header injection)",
      { requester: { email: "ana@example.com\r\nBcc: eve@example.com" } },
      "requester.email",
      "must not contain line breaks",
    ],
    [
      "an instance type not allowed",
      withResource({ instanceType: "p5.48xlarge" }),
      "resource.instanceType",
      "must be one of t3.nano",
    ],
    ["an unknown os", withResource({ os: "windows-xp" }), "resource.os", "must be one of amazon-linux-2023"],
    [
      "a 7 GiB volume",
      withResource({ volume: { sizeGiB: 7, type: "gp3" } }),
      "resource.volume.sizeGiB",
      "must be at least 8",
    ],
    [
      "a 16385 GiB volume",
      withResource({ volume: { sizeGiB: 16385, type: "gp3" } }),
      "resource.volume.sizeGiB",
      "must be at most 16384",
    ],
    [
      "an 8.5 GiB volume",
      withResource({ volume: { sizeGiB: 8.5, type: "gp3" } }),
      "resource.volume.sizeGiB",
      "must be a whole number",
    ],
    [
      "an unknown volume type",
      withResource({ volume: { sizeGiB: 20, type: "ssd" } }),
      "resource.volume.type",
      "must be one of gp3",
    ],
    [
      "a private IP out of range",
      withResource({ privateIp: "10.0.1.256" }),
      "resource.privateIp",
      "must be an IPv4 address",
    ],
    [
      "a malformed subnet id",
      withResource({ subnetId: "subnet-XYZ" }),
      "resource.subnetId",
      "must look like subnet-",
    ],
    ["an empty justification", { justification: "   " }, "justification", "must not be empty"],
    [
      "a 2001-character justification",
      { justification: "x".repeat(2001) },
      "justification",
      "must be at most 2000 characters",
    ],
    ["a requestId with bad characters", { requestId: "req 1/2" }, "requestId", "must be 1-64 characters"],
    ["a 65-character requestId", { requestId: "a".repeat(65) }, "requestId", "must be 1-64 characters"],
    [
      "a requestId that would pass for a refusal's",
      { requestId: "refused-0123456789abcdef0123456789abcdef" },
      "requestId",
      "must not begin with refused-",
    ],
    ["an unknown top-level field", { priority: "high" }, "priority", "is not a recognised field"],
    [
      "an unknown resource field",
      withResource({ color: "red" }),
      "resource.color",
      "is not a recognised field",
    ],
  ])("%s", (_case, change, field, message) => {
    const decision = rejected(decide({ ...sampleRequestContent(), ...change }, EVENT_ID, RULES));

    expect(decision.errors).toContainEqual({ field, message: expect.stringContaining(message) });
    expect(decision.errors.every((error) => error.field === field)).toBe(true);
  });

  it("accepts the boundaries of every range", () => {
    for (const sizeGiB of [8, 16384]) {
      accepted(decide(withResource({ volume: { sizeGiB, type: "gp3" } }), EVENT_ID, RULES));
    }
    accepted(decide({ ...sampleRequestContent(), justification: "x".repeat(2000) }, EVENT_ID, RULES));
    accepted(decide({ ...sampleRequestContent(), requestId: "A".repeat(64) }, EVENT_ID, RULES));
  });

  it("names every missing field of an empty object", () => {
    const decision = rejected(decide({}, EVENT_ID, RULES));

    expect(decision.errors).toEqual([
      { field: "requester", message: "is required" },
      { field: "resource", message: "is required" },
      { field: "justification", message: "is required" },
    ]);
  });
});

describe("decide: what a refusal carries", () => {
  it("goes by an id of its own, not the one the detail named, which it keeps as the given id", () => {
    const decision = rejected(
      decide({ ...sampleRequestContent(), requestId: "ticket-42", justification: "" }, EVENT_ID, RULES),
    );

    expect(decision.requestId).toBe(refusalIdOf(EVENT_ID));
    expect(decision.givenRequestId).toBe("ticket-42");
    expect(decision.requesterEmail).toBe("ana@example.com");
  });

  it("goes by the same id on every delivery of the event, and names no given id when that one is unusable", () => {
    const decision = rejected(
      decide({ ...sampleRequestContent(), requestId: "no spaces please" }, EVENT_ID, RULES),
    );

    expect(decision.requestId).toBe(refusalIdOf(EVENT_ID));
    expect(decision.requestId).toMatch(REQUEST_ID_PATTERN);
    expect(decision.givenRequestId).toBeUndefined();
    expect(invalidDetail(decision, EVENT_ID, "2025-01-01T00:00:00.000Z")).not.toHaveProperty(
      "givenRequestId",
    );
  });

  it("leaves out a requester email that is itself invalid, so nobody is mailed at a forged address", () => {
    const decision = rejected(
      decide(
        { ...sampleRequestContent(), requester: { email: "ana@example.com\nBcc: eve@example.com" } },
        EVENT_ID,
        RULES,
      ),
    );

    expect(decision.requesterEmail).toBeUndefined();
    expect(invalidDetail(decision, EVENT_ID, "2025-01-01T00:00:00.000Z")).not.toHaveProperty(
      "requesterEmail",
    );
  });

  it.each([
    ["a string", "hello", "must be a JSON object"],
    ["null", null, "must be a JSON object"],
    ["an array", [{ requester: { email: "ana@example.com" } }], "must be a JSON object"],
    ["a number", 42, "must be a JSON object"],
    ["no detail at all", undefined, "is required"],
  ])("refuses garbage (%s) with a reason for the whole detail and no email", (_case, garbage, message) => {
    const decision = rejected(decide(garbage, EVENT_ID, RULES));

    expect(decision).toEqual({
      kind: "reject",
      requestId: refusalIdOf(EVENT_ID),
      givenRequestId: undefined,
      requesterEmail: undefined,
      errors: [{ field: "", message }],
    });
  });

  it("reports at most a bounded number of problems, with long field names cut, so the refusal fits one event", () => {
    const flood = Object.fromEntries(
      Array.from({ length: 500 }, (_, index) => [`${"k".repeat(5000)}${index}`, 1]),
    );

    const decision = rejected(decide({ ...sampleRequestContent(), ...flood }, EVENT_ID, RULES));

    expect(decision.errors).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(decision.errors.at(-1)).toEqual({
      field: "",
      message: `and ${500 - MAX_REPORTED_ERRORS} more problems`,
    });
    expect(Math.max(...decision.errors.map((error) => error.field.length))).toBeLessThanOrEqual(201);
    expect(() =>
      RequestInvalid.schema.parse(invalidDetail(decision, EVENT_ID, "2025-01-01T00:00:00.000Z")),
    ).not.toThrow();
  });

  it("refuses a valid request whose id names other content with an error on requestId, under its own id", () => {
    const request = accepted(decide({ ...sampleRequestContent(), requestId: "ticket-42" }, EVENT_ID, RULES));

    expect(reusedIdRejection(request, EVENT_ID)).toEqual({
      requestId: refusalIdOf(EVENT_ID),
      givenRequestId: "ticket-42",
      requesterEmail: "ana@example.com",
      errors: [{ field: "requestId", message: REUSED_ID_MESSAGE }],
    });
  });

  it("names the derived id as the given one when a valid detail without an id is refused", () => {
    const request = accepted(decide(sampleRequestContent(), EVENT_ID, RULES));

    expect(reusedIdRejection(request, EVENT_ID).givenRequestId).toBe(request.requestId);
  });
});

describe("request ids and content hashes", () => {
  it("derives the same id for identical copies, whatever their key order", () => {
    const detail = sampleRequestContent();
    const reordered = {
      justification: detail.justification,
      resource: Object.fromEntries(Object.entries(detail.resource).reverse()),
      requester: { name: "Ana", email: "ana@example.com" },
    };

    const first = accepted(decide(detail, "event-1", RULES));
    const copy = accepted(decide(reordered, "event-2", RULES));

    expect(copy.requestId).toBe(first.requestId);
    expect(first.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect(first.request.requestId).toBe(first.requestId);
  });

  it("derives different ids for different content", () => {
    const first = accepted(decide(sampleRequestContent(), EVENT_ID, RULES));
    const other = accepted(
      decide({ ...sampleRequestContent(), justification: "Another reason" }, EVENT_ID, RULES),
    );

    expect(other.requestId).not.toBe(first.requestId);
    expect(other.contentHash).not.toBe(first.contentHash);
  });

  it("keeps a given requestId, and hashes the content without it", () => {
    const withId = accepted(decide({ ...sampleRequestContent(), requestId: "ticket-42" }, EVENT_ID, RULES));
    const withoutId = accepted(decide(sampleRequestContent(), EVENT_ID, RULES));

    expect(withId.requestId).toBe("ticket-42");
    expect(withId.contentHash).toBe(withoutId.contentHash);
  });

  it("hashes the content as the schema reads it (surrounding spaces trimmed)", () => {
    const padded = accepted(
      decide(
        { ...sampleRequestContent(), justification: `  ${sampleRequestContent().justification} ` },
        EVENT_ID,
        RULES,
      ),
    );

    expect(padded.contentHash).toBe(accepted(decide(sampleRequestContent(), EVENT_ID, RULES)).contentHash);
  });

  it("writes canonical JSON with sorted keys at every depth and arrays in order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
    expect(canonicalJson(undefined)).toBe("null");
  });

  it("hashes equal content equally", () => {
    const { requestId: _id, ...content } = accepted(decide(sampleRequestContent(), EVENT_ID, RULES)).request;

    expect(contentHashOf(content)).toBe(contentHashOf(structuredClone(content)));
  });
});

describe("outgoing details satisfy the catalog", () => {
  it("builds a RequestAccepted detail", () => {
    const { request } = accepted(decide(sampleRequestContent(), EVENT_ID, RULES));

    const detail = RequestAccepted.schema.parse(acceptedDetail(request, "2025-01-01T00:00:00.000Z"));

    expect(detail).toEqual({ requestId: request.requestId, request, acceptedAt: "2025-01-01T00:00:00.000Z" });
  });

  it("builds a RequestInvalid detail naming the source event and the id the detail named", () => {
    const decision = rejected(
      decide({ ...sampleRequestContent(), requestId: "ticket-42", justification: "" }, EVENT_ID, RULES),
    );

    const detail = RequestInvalid.schema.parse(invalidDetail(decision, EVENT_ID, "2025-01-01T00:00:00.000Z"));

    expect(detail).toEqual({
      requestId: refusalIdOf(EVENT_ID),
      givenRequestId: "ticket-42",
      requesterEmail: "ana@example.com",
      errors: [{ field: "justification", message: "must not be empty" }],
      sourceEventId: EVENT_ID,
      rejectedAt: "2025-01-01T00:00:00.000Z",
    });
  });
});

describe("decide: the operator's rules on regions and bucket names", () => {
  it("files a request that names no region in the default region, as the same content as one naming it", () => {
    const omitted = accepted(decide(sampleRequestContent(), "event-1", RULES));
    const named = accepted(decide({ ...sampleRequestContent(), region: "us-east-1" }, "event-2", RULES));

    expect(omitted.request.region).toBe("us-east-1");
    expect(omitted.contentHash).toBe(named.contentHash);
  });

  it("derives the id of a request without one from what was sent, as a publisher computes it with requestIdOf", () => {
    const sent = sampleRequestContent();

    expect(accepted(decide(sent, EVENT_ID, RULES)).requestId).toBe(requestIdOf(sent));
  });

  it("accepts any allowed region", () => {
    expect(
      accepted(decide({ ...sampleRequestContent(), region: "eu-west-1" }, EVENT_ID, RULES)).request.region,
    ).toBe("eu-west-1");
  });

  it("refuses a region outside the allowed ones, naming them", () => {
    const decision = rejected(decide({ ...sampleRequestContent(), region: "ap-south-1" }, EVENT_ID, RULES));

    expect(decision.errors).toEqual([{ field: "region", message: "must be one of us-east-1, eu-west-1" }]);
  });

  it("refuses a bucket whose name lacks the deployment's prefix, and takes one that has it", () => {
    const bucket = (bucketName: string) => ({
      ...sampleRequestContent(),
      resource: { type: "s3", bucketName },
    });
    const rules = { ...RULES, bucketNamePrefix: "acme-" };

    expect(rejected(decide(bucket("reports"), EVENT_ID, rules)).errors).toEqual([
      { field: "resource.bucketName", message: "must start with acme-" },
    ]);
    expect(accepted(decide(bucket("acme-reports"), EVENT_ID, rules)).request.resource).toMatchObject({
      bucketName: "acme-reports",
    });
  });

  it("refuses an instance in a subnet outside ALLOWED_SUBNET_IDS, naming resource.subnetId, and takes an allowed one", () => {
    const inSubnet = (subnetId: string) => ({
      ...sampleRequestContent(),
      resource: { type: "ec2", instanceType: "t3.micro", os: "amazon-linux-2023", subnetId },
    });
    const rules = { ...RULES, allowedSubnetIds: ["subnet-0abc1234", "subnet-0def5678"] };

    expect(rejected(decide(inSubnet("subnet-0bad0bad"), EVENT_ID, rules)).errors).toEqual([
      { field: "resource.subnetId", message: "must be one of subnet-0abc1234, subnet-0def5678" },
    ]);
    expect(accepted(decide(inSubnet("subnet-0def5678"), EVENT_ID, rules)).request.resource).toMatchObject({
      subnetId: "subnet-0def5678",
    });
    expect(accepted(decide(inSubnet("subnet-0bad0bad"), EVENT_ID, RULES)).request.resource).toMatchObject({
      subnetId: "subnet-0bad0bad",
    });
  });
});

describe("decide: the deployment's bounds on a lease (LEASE_MIN, LEASE_MAX)", () => {
  const leased = (lease: string) => ({ ...sampleRequestContent(), lease });

  it.each([
    ["PT59M", "must be at least PT1H"],
    ["P91D", "must be at most P90D"],
    ["P14W", "must be at most P90D"],
  ])("refuses a lease of %s, naming lease and the bound it breaks", (lease, message) => {
    expect(rejected(decide(leased(lease), EVENT_ID, RULES)).errors).toEqual([{ field: "lease", message }]);
  });

  it.each(["PT1H", "P7D", "P90D", "PT2160H"])(
    "accepts a lease of %s, within the bounds or on one",
    (lease) => {
      expect(accepted(decide(leased(lease), EVENT_ID, RULES)).request.lease).toBe(lease);
    },
  );

  it("passes no end on to the policy, which alone knows whether it allows one", () => {
    expect(accepted(decide(leased("none"), EVENT_ID, RULES)).request.lease).toBe("none");
  });

  it("fills in no lease where none is asked for: the policy's default applies later", () => {
    expect(accepted(decide(sampleRequestContent(), EVENT_ID, RULES)).request).not.toHaveProperty("lease");
  });

  it("refuses a lease that is no ISO 8601 duration with the contract's message", () => {
    expect(rejected(decide(leased("7 days"), EVENT_ID, RULES)).errors).toEqual([
      { field: "lease", message: expect.stringContaining("must be an ISO 8601 duration") },
    ]);
  });

  it("counts the lease as part of the request: another lease is another request, with another id", () => {
    const week = accepted(decide(leased("P7D"), EVENT_ID, RULES));
    const month = accepted(decide(leased("P30D"), EVENT_ID, RULES));
    const unsaid = accepted(decide(sampleRequestContent(), EVENT_ID, RULES));

    expect(new Set([week.requestId, month.requestId, unsaid.requestId]).size).toBe(3);
    expect(week.requestId).toBe(requestIdOf(leased("P7D")));
    expect(week.contentHash).not.toBe(unsaid.contentHash);
  });
});
