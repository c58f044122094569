import { describe, expect, it } from "vitest";
import { sampleRequest } from "../test/support/fixtures.ts";
import { architectureOf, ec2ResourceSchema, INSTANCE_TYPES, OS_ARCHITECTURES } from "./request.ts";
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
