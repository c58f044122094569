import { describe, expect, it } from "vitest";
import { sampleRequest } from "../test/support/fixtures.ts";
import {
  architectureOf,
  ec2ResourceSchema,
  INSTANCE_TYPES,
  OS_ARCHITECTURES,
  reasonSchema,
} from "./request.ts";
import { ResourceRequested } from "./resource-requested.ts";
import { fieldErrorsOf } from "./validation.ts";

describe("architectureOf", () => {
  it.each([
    ["t3.micro", "x86_64"],
    ["m7i.large", "x86_64"],
    ["c7i.large", "x86_64"],
    ["r7i.large", "x86_64"],
    ["t4g.micro", "arm64"],
    ["m7g.large", "arm64"],
    ["c7g.large", "arm64"],
  ] as const)("runs %s on %s", (instanceType, architecture) => {
    expect(architectureOf(instanceType)).toBe(architecture);
  });

  it("gives every offered operating system at least one offered instance type", () => {
    for (const [os, architectures] of Object.entries(OS_ARCHITECTURES)) {
      const runnable = INSTANCE_TYPES.filter((type) => architectures.includes(architectureOf(type)));
      expect(runnable.length, os).toBeGreaterThan(0);
    }
  });
});

describe("ec2ResourceSchema", () => {
  /** With a root volume every operating system's image fits in, so only the pairing is judged. */
  const resourceOf = (instanceType: string, os: string) => ({
    ...sampleRequest().resource,
    instanceType,
    os,
    volume: { sizeGiB: 30, type: "gp3" },
  });

  it.each([
    ["t4g.micro", "ubuntu-24.04"],
    ["c7g.large", "amazon-linux-2023"],
    ["m7i.large", "windows-server-2022"],
  ])("accepts %s with %s", (instanceType, os) => {
    expect(ec2ResourceSchema.safeParse(resourceOf(instanceType, os)).error).toBeUndefined();
  });

  it("refuses Windows on a Graviton type on the instance type, saying why", () => {
    const result = ec2ResourceSchema.safeParse(resourceOf("t4g.micro", "windows-server-2022"));

    expect(result.error && fieldErrorsOf(result.error)).toEqual([
      {
        field: "instanceType",
        message:
          "must be an x86_64 instance type: windows-server-2022 runs only on x86_64, and t4g.micro is arm64",
      },
    ]);
  });

  it("names only the bad field when the instance type is unknown, without judging the combination", () => {
    const result = ec2ResourceSchema.safeParse(resourceOf("t4g.huge", "windows-server-2022"));

    expect(result.error && fieldErrorsOf(result.error).map((error) => error.field)).toEqual(["instanceType"]);
  });

  it("no longer offers rhel-9, which has no public image parameter", () => {
    const result = ec2ResourceSchema.safeParse(resourceOf("t3.micro", "rhel-9"));

    expect(result.error && fieldErrorsOf(result.error).map((error) => error.field)).toEqual(["os"]);
  });

  it("refuses a Windows root volume below 30 GiB on the volume size, saying why", () => {
    const result = ec2ResourceSchema.safeParse({
      ...resourceOf("m7i.large", "windows-server-2022"),
      volume: { sizeGiB: 29, type: "gp3" },
    });

    expect(result.error && fieldErrorsOf(result.error)).toEqual([
      {
        field: "volume.sizeGiB",
        message: "must be at least 30 for windows-server-2022: its image needs a root volume of 30 GiB",
      },
    ]);
  });

  it("accepts Windows on a root volume of 30 GiB, or with the volume left to its image", () => {
    const { volume: _left, ...imageVolume } = resourceOf("m7i.large", "windows-server-2022");

    expect(ec2ResourceSchema.safeParse(resourceOf("m7i.large", "windows-server-2022")).error).toBeUndefined();
    expect(ec2ResourceSchema.safeParse(imageVolume).error).toBeUndefined();
  });

  it("keeps the general 8 GiB minimum for the operating systems without one of their own", () => {
    for (const os of ["amazon-linux-2023", "ubuntu-24.04", "ubuntu-22.04"] as const) {
      const result = ec2ResourceSchema.safeParse({
        ...resourceOf("t3.micro", os),
        volume: { sizeGiB: 8, type: "gp3" },
      });
      expect(result.error, os).toBeUndefined();
    }
  });
});

describe("volume sizes per volume type", () => {
  const resourceWith = (volume: { sizeGiB: number; type: string }, os = "amazon-linux-2023") => ({
    ...sampleRequest().resource,
    instanceType: "m7i.large",
    os,
    volume,
  });

  it.each([
    ["st1", 20, "must be between 125 and 16384 GiB for st1 volumes"],
    ["st1", 124, "must be between 125 and 16384 GiB for st1 volumes"],
    ["sc1", 124, "must be between 125 and 16384 GiB for sc1 volumes"],
  ])(
    "refuses a %s volume of %i GiB on the volume size, naming the type's range",
    (type, sizeGiB, message) => {
      const result = ec2ResourceSchema.safeParse(resourceWith({ sizeGiB, type }));

      expect(result.error && fieldErrorsOf(result.error)).toEqual([{ field: "volume.sizeGiB", message }]);
    },
  );

  it.each([
    ["st1", 125],
    ["sc1", 125],
    ["st1", 16384],
    ["io1", 8],
    ["io2", 8],
    ["io2", 16384],
    ["gp2", 8],
  ])("accepts a %s volume of %i GiB", (type, sizeGiB) => {
    expect(ec2ResourceSchema.safeParse(resourceWith({ sizeGiB, type })).error).toBeUndefined();
  });

  it("keeps the contract's 16384 GiB cap for io2, which EBS would let grow to 65536", () => {
    const result = ec2ResourceSchema.safeParse(resourceWith({ sizeGiB: 16385, type: "io2" }));

    expect(result.error && fieldErrorsOf(result.error)).toEqual([
      { field: "volume.sizeGiB", message: "must be at most 16384" },
    ]);
  });

  it.each([
    ["st1", 7, "amazon-linux-2023", "must be at least 8"],
    ["gp3", 7, "windows-server-2022", "must be at least 8"],
    ["sc1", 124.5, "amazon-linux-2023", "must be a whole number"],
  ])("gives a %s volume of %d GiB on %s only the size field's own message", (type, sizeGiB, os, message) => {
    const result = ec2ResourceSchema.safeParse(resourceWith({ sizeGiB, type }, os));

    expect(result.error && fieldErrorsOf(result.error)).toEqual([{ field: "volume.sizeGiB", message }]);
  });

  it("judges the size against the type's range even when another field is wrong", () => {
    const result = ec2ResourceSchema.safeParse({
      ...resourceWith({ sizeGiB: 20, type: "st1" }),
      privateIp: "10.0.1.256",
    });

    expect(result.error && fieldErrorsOf(result.error).map((error) => error.field)).toEqual([
      "privateIp",
      "volume.sizeGiB",
    ]);
  });

  it("gives a too small HDD volume on Windows only the type's range, the one rule it breaks", () => {
    const result = ec2ResourceSchema.safeParse(
      resourceWith({ sizeGiB: 20, type: "st1" }, "windows-server-2022"),
    );

    expect(result.error && fieldErrorsOf(result.error)).toEqual([
      { field: "volume.sizeGiB", message: "must be between 125 and 16384 GiB for st1 volumes" },
    ]);
  });

  it("holds Windows' 30 GiB root volume minimum for every type that becomes the root volume", () => {
    for (const type of ["gp3", "gp2", "io1", "io2"]) {
      const result = ec2ResourceSchema.safeParse(resourceWith({ sizeGiB: 29, type }, "windows-server-2022"));
      expect(result.error && fieldErrorsOf(result.error).map((error) => error.field), type).toEqual([
        "volume.sizeGiB",
      ]);
    }
  });
});

describe("subnetId", () => {
  const resourceWithSubnet = (subnetId: string) => ({ ...sampleRequest().resource, subnetId });

  it.each(["subnet-0abc", "subnet-0", "subnet-0abc1234", "subnet-0123456789abcdef0"])(
    "accepts %s",
    (subnetId) => {
      expect(ec2ResourceSchema.safeParse(resourceWithSubnet(subnetId)).error).toBeUndefined();
    },
  );

  it.each(["subnet-", "subnet-0123456789abcdef01", "subnet-0ABC", "subnet-xyz", "sn-0abc", " subnet-0abc"])(
    "refuses %j, naming the expected form",
    (subnetId) => {
      const result = ec2ResourceSchema.safeParse(resourceWithSubnet(subnetId));

      expect(result.error && fieldErrorsOf(result.error)).toEqual([
        {
          field: "subnetId",
          message: "must look like subnet-0abc1234: subnet- and 1 to 17 lowercase hex digits",
        },
      ]);
    },
  );
});

describe("the resource of a request", () => {
  const requestWith = (resource: unknown) => ({ ...sampleRequest(), resource });
  const errorsOf = (detail: unknown) => {
    const result = ResourceRequested.schema.safeParse(detail);
    return result.error && fieldErrorsOf(result.error);
  };

  it("is required", () => {
    const { resource: _, ...withoutResource } = sampleRequest();

    expect(errorsOf(withoutResource)).toEqual([{ field: "resource", message: "is required" }]);
  });

  it.each([[null], ["ec2"], [42], [[]], [true]])("must be an object, not %j", (resource) => {
    expect(errorsOf(requestWith(resource))).toEqual([{ field: "resource", message: "must be an object" }]);
  });

  it("names the resource types when the type is unknown", () => {
    expect(errorsOf(requestWith({ ...sampleRequest().resource, type: "lambda" }))).toEqual([
      { field: "resource.type", message: "must be one of ec2, rds, s3" },
    ]);
  });

  it.each([null, 7])("names the resource types when the type is %j", (type) => {
    expect(errorsOf(requestWith({ ...sampleRequest().resource, type }))).toEqual([
      { field: "resource.type", message: "must be one of ec2, rds, s3" },
    ]);
  });

  it("asks for the type when the resource has none", () => {
    const { type: _, ...untyped } = sampleRequest().resource;

    expect(errorsOf(requestWith(untyped))).toEqual([{ field: "resource.type", message: "is required" }]);
  });
});

describe("the requester's subject, the identity provider's id of them", () => {
  const requestBy = (subject: unknown) => ({
    ...sampleRequest(),
    requester: { ...sampleRequest().requester, subject },
  });
  const errorsOf = (detail: unknown) => {
    const result = ResourceRequested.schema.safeParse(detail);
    return result.error && fieldErrorsOf(result.error);
  };

  it("may be left out, as publishers from before it and outside the portal do", () => {
    expect(errorsOf(sampleRequest())).toBeUndefined();
  });

  it("travels exactly as the provider gives it, up to 255 characters", () => {
    const subject = ` 3f0c2a1e-Mixed|Case ${"x".repeat(234)}`;

    const result = ResourceRequested.schema.safeParse(requestBy(subject));

    expect(subject).toHaveLength(255);
    expect(result.data?.requester.subject).toBe(subject);
  });

  it.each<readonly [string, unknown, string]>([
    ["empty", "", "must not be empty"],
    ["longer than 255 characters", "x".repeat(256), "must be at most 255 characters"],
    ["of two lines", "sub-1\nsub-2", "must not contain control characters, line breaks or tabs"],
    ["no string", 42, "must be a string"],
  ])("is refused when %s, naming requester.subject", (_case, subject, message) => {
    expect(errorsOf(requestBy(subject))).toEqual([{ field: "requester.subject", message }]);
  });
});

describe("free text, which the plain-text emails quote", () => {
  const FREE_TEXT_RULE = "must not contain control characters other than newline and tab";
  const NAME_RULE = "must not contain control characters, line breaks or tabs";
  const errorsOf = (detail: unknown) => {
    const result = ResourceRequested.schema.safeParse(detail);
    return result.error && fieldErrorsOf(result.error);
  };
  const withJustification = (justification: string) => ({ ...sampleRequest(), justification });
  const withRequesterName = (name: string) => ({
    ...sampleRequest(),
    requester: { ...sampleRequest().requester, name },
  });
  const withResourceName = (name: string) => ({
    ...sampleRequest(),
    resource: { ...sampleRequest().resource, name },
  });

  // A carriage return starts a line of its own in many mail readers; the others are no text at all.
  const FORGING: readonly (readonly [string, string])[] = [
    ["a carriage return", "Load tests\rApproved by: security team"],
    ["a bell", "Load tests\u0007"],
    ["a form feed", "Load tests\fnext page"],
    ["an escape", "Load tests\u001b[2J"],
    ["a NUL", "Load tests\u0000"],
    ["DEL", "Load tests\u007f"],
    ["a C1 next-line", "Load tests\u0085Approved"],
  ];

  it.each(FORGING)("refuses a justification with %s, naming the field and what is refused", (_, text) => {
    expect(errorsOf(withJustification(text))).toEqual([{ field: "justification", message: FREE_TEXT_RULE }]);
  });

  it("keeps a justification's newlines and tabs, the lines its author typed", () => {
    const result = ResourceRequested.schema.safeParse(
      withJustification("Load tests:\n\t- the API\n\t- the portal"),
    );

    expect(result.data?.justification).toBe("Load tests:\n\t- the API\n\t- the portal");
  });

  it.each<readonly [string, string]>([
    ...FORGING,
    ["a newline", "Ana\nApproved by: security"],
    ["a tab", "Ana\tLopez"],
  ])("refuses a requester's name with %s, a name keeping to one line", (_, name) => {
    expect(errorsOf(withRequesterName(name))).toEqual([{ field: "requester.name", message: NAME_RULE }]);
  });

  it.each<readonly [string, string]>([
    ...FORGING,
    ["a newline", "web-1\nApproved by: security"],
    ["a tab", "web\t1"],
  ])("refuses a resource's name with %s, a name keeping to one line", (_, name) => {
    expect(errorsOf(withResourceName(name))).toEqual([{ field: "resource.name", message: NAME_RULE }]);
  });

  it("accepts names of letters beyond ASCII, with spaces", () => {
    expect(errorsOf(withRequesterName("Ana Łopez-Núñez"))).toBeUndefined();
    expect(errorsOf(withResourceName("web 1 (staging)"))).toBeUndefined();
  });

  it.each(FORGING)("refuses a decision's reason with %s, saying what is refused", (_, reason) => {
    const result = reasonSchema.safeParse(reason);

    expect(result.error && fieldErrorsOf(result.error)).toEqual([{ field: "", message: FREE_TEXT_RULE }]);
  });

  it("keeps a reason's newlines and tabs", () => {
    expect(reasonSchema.parse("Too big.\n\tAsk for a t3.small")).toBe("Too big.\n\tAsk for a t3.small");
  });
});
