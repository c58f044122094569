import { describe, expect, it } from "vitest";
import {
  CUSTOM_LEASE,
  DEFAULT_FORM_VALUES,
  detailFromForm,
  estimateQuestionOf,
  formErrorsFrom,
  inputsOf,
  LEASE_CHOICES,
  type RequestFormValues,
  validateForm,
} from "./request-form.ts";

const ANA = { email: "ana@example.com", name: "Ana" };

const filled = (overrides: Partial<RequestFormValues> = {}): RequestFormValues => ({
  ...DEFAULT_FORM_VALUES,
  justification: "Build agent",
  ...overrides,
});

const database = (overrides: Partial<RequestFormValues> = {}) =>
  filled({ resourceType: "rds", dbInstanceName: "orders", ...overrides });

const bucket = (overrides: Partial<RequestFormValues> = {}) =>
  filled({ resourceType: "s3", bucketName: "team-reports", ...overrides });

describe("the new-request form", () => {
  it("turns filled inputs into the ResourceRequested detail of the signed-in requester, leaving empty optional fields out", () => {
    const detail = detailFromForm(filled({ privateIp: "", subnetId: "subnet-0abc1234" }), ANA);

    expect(detail).toEqual({
      requester: { email: "ana@example.com", name: "Ana" },
      resource: {
        type: "ec2",
        instanceType: "t3.micro",
        os: "amazon-linux-2023",
        name: undefined,
        volume: { sizeGiB: 20, type: "gp3" },
        privateIp: undefined,
        subnetId: "subnet-0abc1234",
      },
      region: undefined,
      lease: undefined,
      justification: "Build agent",
    });
  });

  it("accepts the defaults once the justification is given", () => {
    expect(validateForm(filled(), ANA)).toEqual({});
  });

  it("shows a requester the schema refuses at the form, as no input holds it", () => {
    expect(validateForm(filled(), { email: "ana@", name: "Ana" })).toEqual({
      form: "requester.email must be a valid email address",
    });
  });

  it.each([
    [{ volumeSizeGiB: "7" }, "volumeSizeGiB", "must be at least 8"],
    [{ volumeSizeGiB: "16385" }, "volumeSizeGiB", "must be at most 16384"],
    [{ volumeSizeGiB: "20.5" }, "volumeSizeGiB", "must be a whole number"],
    [{ volumeSizeGiB: "" }, "volumeSizeGiB", "is required"],
    [{ privateIp: "10.0.0.256" }, "privateIp", "must be an IPv4 address"],
    [
      { volumeSizeGiB: "20", volumeType: "st1" },
      "volumeSizeGiB",
      "must be between 125 and 16384 GiB for st1 volumes",
    ],
    [
      { subnetId: "subnet_1" },
      "subnetId",
      "must look like subnet-0abc1234: subnet- and 1 to 17 lowercase hex digits",
    ],
    [{ justification: "" }, "justification", "must not be empty"],
    [{ justification: "x".repeat(2001) }, "justification", "must be at most 2000 characters"],
    [{ region: "Europe" }, "region", "must be an AWS region code such as eu-west-1"],
  ] as const)("shows the schema's message next to the input for %o", (overrides, input, message) => {
    expect(validateForm(filled(overrides), ANA)[input]).toBe(message);
  });

  it("places the API's field errors next to their inputs, and unknown ones at the form", () => {
    expect(
      formErrorsFrom(filled(), [
        { field: "resource.os", message: "must be one of ..." },
        { field: "region", message: "must be one of us-east-1, eu-west-1" },
        { field: "requestId", message: "was reused" },
      ]),
    ).toEqual({
      os: "must be one of ...",
      region: "must be one of us-east-1, eu-west-1",
      form: "requestId was reused",
    });
  });

  it("shows each type's own inputs only, with the region and the justification", () => {
    expect(inputsOf("ec2")).toEqual([
      "instanceType",
      "os",
      "instanceName",
      "volumeSizeGiB",
      "volumeType",
      "privateIp",
      "subnetId",
      "region",
      "lease",
      "justification",
    ]);
    expect(inputsOf("rds")).not.toContain("instanceType");
    expect(inputsOf("s3")).toEqual([
      "bucketName",
      "versioning",
      "encryption",
      "expireObjectsAfterDays",
      "region",
      "lease",
      "justification",
    ]);
  });
});

describe("the new-request form's lease", () => {
  const custom = (customLease: string) => filled({ lease: CUSTOM_LEASE, customLease });

  it("offers first the default, naming no length it cannot know, then 1, 3, 7, 30 and 90 days, no end and a custom duration", () => {
    expect(LEASE_CHOICES.map(([, text]) => text)).toEqual([
      "Default (the policy's, else the deployment's)",
      "1 day",
      "3 days",
      "7 days",
      "30 days",
      "90 days",
      "No end (only where a policy allows it)",
      "Custom…",
    ]);
    expect(LEASE_CHOICES.find(([value]) => value === DEFAULT_FORM_VALUES.lease)?.[1]).toBe(
      "Default (the policy's, else the deployment's)",
    );
  });

  it("asks for no lease by default, so the policy's default applies, and for the one chosen otherwise", () => {
    expect(detailFromForm(filled(), ANA).lease).toBeUndefined();
    expect(detailFromForm(filled({ lease: "P3D" }), ANA).lease).toBe("P3D");
    expect(detailFromForm(filled({ lease: "none" }), ANA).lease).toBe("none");
    expect(validateForm(filled({ lease: "P90D" }), ANA)).toEqual({});
  });

  it("asks for the custom duration typed, trimmed, and ignores it unless Custom is chosen", () => {
    expect(detailFromForm(custom(" PT36H "), ANA).lease).toBe("PT36H");
    expect(validateForm(custom("PT36H"), ANA)).toEqual({});
    expect(detailFromForm(filled({ lease: "P1D", customLease: "junk" }), ANA).lease).toBe("P1D");
    expect(validateForm(filled({ lease: "P1D", customLease: "junk" }), ANA)).toEqual({});
  });

  it.each([
    ["", "is required"],
    ["14 days", "must be an ISO 8601 duration such as PT30M, PT24H, P3D or P2W"],
    ["PT0S", "must be longer than zero"],
    ["P1M", expect.stringContaining("must not count years or months")],
    ["none", "must be an ISO 8601 duration such as PT30M, PT24H, P3D or P2W"],
  ])(
    "shows the duration's own message for a custom lease of %o next to the custom field",
    (text, message) => {
      const errors = validateForm(custom(text), ANA);

      expect(errors).toEqual({ customLease: message });
    },
  );

  it("places the API's refusal of the lease at the input it was chosen with", () => {
    const refusal = [{ field: "lease", message: "must be at most P90D" }];

    expect(formErrorsFrom(custom("P100D"), refusal)).toEqual({ customLease: "must be at most P90D" });
    expect(formErrorsFrom(filled({ lease: "none" }), refusal)).toEqual({ lease: "must be at most P90D" });
  });
});

describe("the new-request form for an RDS database", () => {
  it("turns the database's inputs into an rds resource in the region chosen, leaving empty optional fields out", () => {
    const detail = detailFromForm(
      database({
        region: "eu-west-1",
        multiAz: "true",
        allocatedStorageGiB: "50",
        instanceClass: "db.m7g.large",
      }),
      ANA,
    );

    expect(detail.region).toBe("eu-west-1");
    expect(detail.resource).toEqual({
      type: "rds",
      engine: "postgres",
      engineVersion: undefined,
      instanceClass: "db.m7g.large",
      allocatedStorageGiB: 50,
      storageType: "gp3",
      multiAz: true,
      name: "orders",
      databaseName: undefined,
      backupRetentionDays: 7,
    });
    expect(validateForm(database(), ANA)).toEqual({});
  });

  it.each([
    [{ dbInstanceName: "Orders" }, "dbInstanceName", "must start with a lowercase letter"],
    [{ dbInstanceName: "orders--eu" }, "dbInstanceName", "must not hold two hyphens in a row"],
    [{ allocatedStorageGiB: "10" }, "allocatedStorageGiB", "must be at least 20"],
    [{ allocatedStorageGiB: "" }, "allocatedStorageGiB", "is required"],
    [{ backupRetentionDays: "36" }, "backupRetentionDays", "must be at most 35"],
    [{ engine: "mysql", engineVersion: "16.8" }, "engineVersion", "must be one of 8.4.5, 8.0.42 for mysql"],
    [{ databaseName: "postgres" }, "databaseName", "must not be postgres: postgres reserves it"],
  ] as const)(
    "shows the schema's message next to the database's input for %o",
    (overrides, input, message) => {
      expect(validateForm(database(overrides), ANA)[input]).toBe(message);
    },
  );

  it("places the API's errors of the database's name at its own input, not the EC2 instance's", () => {
    expect(formErrorsFrom(database(), [{ field: "resource.name", message: "must not be empty" }])).toEqual({
      dbInstanceName: "must not be empty",
    });
  });
});

describe("the new-request form for an S3 bucket", () => {
  it("turns the bucket's inputs into an s3 resource", () => {
    expect(
      detailFromForm(
        bucket({ versioning: "false", encryption: "sse-kms", expireObjectsAfterDays: "30" }),
        ANA,
      ).resource,
    ).toEqual({
      type: "s3",
      bucketName: "team-reports",
      versioning: false,
      encryption: "sse-kms",
      expireObjectsAfterDays: 30,
    });
    expect(validateForm(bucket(), ANA)).toEqual({});
  });

  it.each([
    ["Team_Reports", "must hold only lowercase letters, digits, periods and hyphens"],
    ["ab", "must be 3 to 63 characters long"],
    ["192.168.5.4", "must not be formatted as an IP address"],
    ["team..reports", "must not hold two periods in a row"],
  ])("names the naming rule %s breaks next to the bucket name", (bucketName, rule) => {
    expect(validateForm(bucket({ bucketName }), ANA).bucketName).toBe(rule);
  });

  it("shows a bad expiry next to its input", () => {
    expect(validateForm(bucket({ expireObjectsAfterDays: "0" }), ANA).expireObjectsAfterDays).toBe(
      "must be at least 1",
    );
  });
});

describe("the live estimate's question", () => {
  it("asks for the resource of the type chosen, in the region chosen, whatever the justification", () => {
    expect(estimateQuestionOf(database({ region: "eu-west-1", justification: "" }))).toEqual({
      region: "eu-west-1",
      resource: expect.objectContaining({ type: "rds", instanceClass: "db.t4g.micro", name: "orders" }),
    });
  });

  it("leaves the region out until one is chosen, so the API prices it in the default", () => {
    expect(estimateQuestionOf(filled())).toEqual({ resource: expect.objectContaining({ type: "ec2" }) });
  });

  it("asks nothing while the resource or the region breaks the contract", () => {
    expect(estimateQuestionOf(bucket({ bucketName: "Bad_Name" }))).toBeUndefined();
    expect(estimateQuestionOf(database({ allocatedStorageGiB: "" }))).toBeUndefined();
    expect(estimateQuestionOf(filled({ region: "Europe" }))).toBeUndefined();
  });
});
