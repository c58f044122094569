import { describe, expect, it } from "vitest";
import {
  DEFAULT_FORM_VALUES,
  detailFromForm,
  formErrorsFrom,
  type RequestFormValues,
  validateForm,
} from "./request-form.ts";

const ANA = { email: "ana@example.com", name: "Ana" };

const filled = (overrides: Partial<RequestFormValues> = {}): RequestFormValues => ({
  ...DEFAULT_FORM_VALUES,
  justification: "Build agent",
  ...overrides,
});

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
  ] as const)("shows the schema's message next to the input for %o", (overrides, input, message) => {
    expect(validateForm(filled(overrides), ANA)[input]).toBe(message);
  });

  it("places the API's field errors next to their inputs, and unknown ones at the form", () => {
    expect(
      formErrorsFrom([
        { field: "resource.os", message: "must be one of ..." },
        { field: "requestId", message: "was reused" },
      ]),
    ).toEqual({ os: "must be one of ...", form: "requestId was reused" });
  });
});
