import { ResourceRequested } from "../../events/resource-requested.ts";
import { type FieldError, fieldErrorsOf } from "../../events/validation.ts";

/** The form's raw values, as strings straight from the inputs. */
export interface RequestFormValues {
  instanceType: string;
  os: string;
  instanceName: string;
  volumeSizeGiB: string;
  volumeType: string;
  privateIp: string;
  subnetId: string;
  justification: string;
}

export const DEFAULT_FORM_VALUES: RequestFormValues = {
  instanceType: "t3.micro",
  os: "amazon-linux-2023",
  instanceName: "",
  volumeSizeGiB: "20",
  volumeType: "gp3",
  privateIp: "",
  subnetId: "",
  justification: "",
};

/** Which input shows the error of each field path of the detail; the requester's show at the form. */
export const INPUT_OF_FIELD: Record<string, keyof RequestFormValues> = {
  "resource.instanceType": "instanceType",
  "resource.os": "os",
  "resource.name": "instanceName",
  "resource.volume.sizeGiB": "volumeSizeGiB",
  "resource.volume.type": "volumeType",
  "resource.privateIp": "privateIp",
  "resource.subnetId": "subnetId",
  justification: "justification",
};

const optional = (value: string) => (value.trim() === "" ? undefined : value.trim());

/** Who asks: the signed-in user, as the API takes it from their access token. */
export interface Requester {
  email: string;
  name: string;
}

/** Optional fields left empty are left out, so the detail says only what the requester chose. */
export const detailFromForm = (values: RequestFormValues, requester: Requester) => ({
  requester: { email: requester.email, name: requester.name },
  resource: {
    type: "ec2",
    instanceType: values.instanceType,
    os: values.os,
    name: optional(values.instanceName),
    volume: {
      sizeGiB: values.volumeSizeGiB.trim() === "" ? Number.NaN : Number(values.volumeSizeGiB),
      type: values.volumeType,
    },
    privateIp: optional(values.privateIp),
    subnetId: optional(values.subnetId),
  },
  justification: values.justification,
});

export type FormErrors = Partial<Record<keyof RequestFormValues | "form", string>>;

/** Places field errors (from the schema here, or from the API's 400) next to their inputs. */
export const formErrorsFrom = (fieldErrors: FieldError[]): FormErrors => {
  const errors: FormErrors = {};
  for (const { field, message } of fieldErrors) {
    const input = INPUT_OF_FIELD[field] ?? "form";
    errors[input] ??= input === "form" ? `${field || "Request"} ${message}` : message;
  }
  return errors;
};

/** Validates with the same schema the API uses: the browser and the server agree on every message. */
export const validateForm = (values: RequestFormValues, requester: Requester): FormErrors => {
  const result = ResourceRequested.schema.safeParse(detailFromForm(values, requester));
  if (result.success) return {};
  const errors = formErrorsFrom(fieldErrorsOf(result.error));
  if (errors.volumeSizeGiB && values.volumeSizeGiB.trim() === "") errors.volumeSizeGiB = "is required";
  return errors;
};
