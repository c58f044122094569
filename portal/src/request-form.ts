import type { EstimateBody } from "../../api/schemas.ts";
import { leaseDurationSchema, NO_END } from "../../events/lease-duration.ts";
import { regionSchema } from "../../events/region.ts";
import { type ResourceType, resourceSchema } from "../../events/request.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { type FieldError, fieldErrorsOf } from "../../events/validation.ts";

/** The form's raw values, as strings straight from the inputs (a checkbox as "true" or "false"). */
export interface RequestFormValues {
  resourceType: string;
  region: string;
  instanceType: string;
  os: string;
  instanceName: string;
  volumeSizeGiB: string;
  volumeType: string;
  privateIp: string;
  subnetId: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorageGiB: string;
  storageType: string;
  multiAz: string;
  dbInstanceName: string;
  databaseName: string;
  backupRetentionDays: string;
  bucketName: string;
  versioning: string;
  encryption: string;
  expireObjectsAfterDays: string;
  /** One of LEASE_CHOICES' values: empty for the default, CUSTOM_LEASE when typed in customLease. */
  lease: string;
  customLease: string;
  justification: string;
}

export type FormInput = keyof RequestFormValues;

/** The defaults are the schemas' own (gp3, Single-AZ, 7 days of backups, versioning, SSE-S3). */
export const DEFAULT_FORM_VALUES: RequestFormValues = {
  resourceType: "ec2",
  // Empty until the API says which regions are allowed: the request then goes to the default region.
  region: "",
  instanceType: "t3.micro",
  os: "amazon-linux-2023",
  instanceName: "",
  volumeSizeGiB: "20",
  volumeType: "gp3",
  privateIp: "",
  subnetId: "",
  engine: "postgres",
  engineVersion: "",
  instanceClass: "db.t4g.micro",
  allocatedStorageGiB: "20",
  storageType: "gp3",
  multiAz: "false",
  dbInstanceName: "",
  databaseName: "",
  backupRetentionDays: "7",
  bucketName: "",
  versioning: "true",
  encryption: "sse-s3",
  expireObjectsAfterDays: "",
  lease: "",
  customLease: "",
  justification: "",
};

/** The lease choice that reveals a text field for any ISO 8601 duration. */
export const CUSTOM_LEASE = "custom";

/**
 * The form's lease choices. The default sends no lease, so the request's policy (else the deployment's
 * LEASE_DEFAULT) decides: the portal does not know which, so it names no length; "No end" only a policy
 * allowing it accepts.
 */
export const LEASE_CHOICES: readonly (readonly [value: string, text: string])[] = [
  ["", "Default (the policy's, else the deployment's)"],
  ["P1D", "1 day"],
  ["P3D", "3 days"],
  ["P7D", "7 days"],
  ["P30D", "30 days"],
  ["P90D", "90 days"],
  [NO_END, "No end (only where a policy allows it)"],
  [CUSTOM_LEASE, "Custom…"],
];

/**
 * Why a duration typed in a custom field (a lease, an extension) cannot be sent, in the contract's
 * words, or undefined when it can.
 */
export const durationError = (text: string): string | undefined =>
  text.trim() === "" ? "is required" : leaseDurationSchema.safeParse(text.trim()).error?.issues[0]?.message;

/** Inputs every type of request has. */
const COMMON_INPUTS: Record<string, FormInput> = {
  region: "region",
  lease: "lease",
  justification: "justification",
};

/**
 * Which input shows the error of each field path of the detail, per resource type; the inputs of a
 * type are exactly these, so the form shows only them. The requester's errors show at the form.
 */
export const INPUT_OF_FIELD: Record<ResourceType, Record<string, FormInput>> = {
  ec2: {
    "resource.instanceType": "instanceType",
    "resource.os": "os",
    "resource.name": "instanceName",
    "resource.volume.sizeGiB": "volumeSizeGiB",
    "resource.volume.type": "volumeType",
    "resource.privateIp": "privateIp",
    "resource.subnetId": "subnetId",
    ...COMMON_INPUTS,
  },
  rds: {
    "resource.engine": "engine",
    "resource.engineVersion": "engineVersion",
    "resource.instanceClass": "instanceClass",
    "resource.allocatedStorageGiB": "allocatedStorageGiB",
    "resource.storageType": "storageType",
    "resource.multiAz": "multiAz",
    "resource.name": "dbInstanceName",
    "resource.databaseName": "databaseName",
    "resource.backupRetentionDays": "backupRetentionDays",
    ...COMMON_INPUTS,
  },
  s3: {
    "resource.bucketName": "bucketName",
    "resource.versioning": "versioning",
    "resource.encryption": "encryption",
    "resource.expireObjectsAfterDays": "expireObjectsAfterDays",
    ...COMMON_INPUTS,
  },
};

/**
 * The inputs a request for `type` is made of: the type's own, the region, the lease and the
 * justification (the custom lease's own field shows only when chosen: `leaseInputOf`).
 */
export const inputsOf = (type: ResourceType): FormInput[] => [
  ...new Set(Object.values(INPUT_OF_FIELD[type])),
];

/** Number inputs a request cannot leave empty: empty is "is required", not the schema's "a number". */
const REQUIRED_NUMBERS: readonly FormInput[] = ["volumeSizeGiB", "allocatedStorageGiB"];

/** The resource type chosen; anything else is EC2, the form's first choice. */
export const resourceTypeOf = (values: RequestFormValues): ResourceType =>
  values.resourceType === "rds" || values.resourceType === "s3" ? values.resourceType : "ec2";

const optional = (value: string) => (value.trim() === "" ? undefined : value.trim());
/** An empty required number is NaN, so the schema refuses it and the form says "is required". */
const requiredNumber = (value: string) => (value.trim() === "" ? Number.NaN : Number(value));
const optionalNumber = (value: string) => (value.trim() === "" ? undefined : Number(value));

/** Who asks: the signed-in user, as the API takes it from their access token. */
export interface Requester {
  email: string;
  name: string;
}

/** The resource of the type chosen, from that type's inputs only; empty optional fields are left out. */
export const resourceFromForm = (values: RequestFormValues) => {
  switch (resourceTypeOf(values)) {
    case "ec2":
      return {
        type: "ec2",
        instanceType: values.instanceType,
        os: values.os,
        name: optional(values.instanceName),
        volume: { sizeGiB: requiredNumber(values.volumeSizeGiB), type: values.volumeType },
        privateIp: optional(values.privateIp),
        subnetId: optional(values.subnetId),
      };
    case "rds":
      return {
        type: "rds",
        engine: values.engine,
        engineVersion: optional(values.engineVersion),
        instanceClass: values.instanceClass,
        allocatedStorageGiB: requiredNumber(values.allocatedStorageGiB),
        storageType: values.storageType,
        multiAz: values.multiAz === "true",
        name: values.dbInstanceName.trim(),
        databaseName: optional(values.databaseName),
        backupRetentionDays: optionalNumber(values.backupRetentionDays),
      };
    case "s3":
      return {
        type: "s3",
        bucketName: values.bucketName.trim(),
        versioning: values.versioning === "true",
        encryption: values.encryption,
        expireObjectsAfterDays: optionalNumber(values.expireObjectsAfterDays),
      };
  }
};

/** The input the lease is read from and its errors shown at: the choice, or the custom text field. */
export const leaseInputOf = (values: RequestFormValues): FormInput =>
  values.lease === CUSTOM_LEASE ? "customLease" : "lease";

/** The lease asked for: a choice's value, or the text typed; none for the default. */
const leaseFromForm = (values: RequestFormValues) =>
  values.lease === CUSTOM_LEASE ? values.customLease.trim() : optional(values.lease);

/** Optional fields left empty are left out, so the detail says only what the requester chose. */
export const detailFromForm = (values: RequestFormValues, requester: Requester) => ({
  requester: { email: requester.email, name: requester.name },
  resource: resourceFromForm(values),
  region: optional(values.region),
  lease: leaseFromForm(values),
  justification: values.justification,
});

export type FormErrors = Partial<Record<FormInput | "form", string>>;

/**
 * Places field errors (from the schema here, or from the API's 400) next to the inputs shown for the
 * form's values; any other field's error shows at the form.
 */
export const formErrorsFrom = (values: RequestFormValues, fieldErrors: FieldError[]): FormErrors => {
  const errors: FormErrors = {};
  for (const { field, message } of fieldErrors) {
    const input =
      field === "lease" ? leaseInputOf(values) : (INPUT_OF_FIELD[resourceTypeOf(values)][field] ?? "form");
    errors[input] ??= input === "form" ? `${field || "Request"} ${message}` : message;
  }
  return errors;
};

/** Validates with the same schema the API uses: the browser and the server agree on every message. */
export const validateForm = (values: RequestFormValues, requester: Requester): FormErrors => {
  const result = ResourceRequested.schema.safeParse(detailFromForm(values, requester));
  const errors = result.success ? {} : formErrorsFrom(values, fieldErrorsOf(result.error));
  for (const input of REQUIRED_NUMBERS) {
    if (errors[input] && values[input].trim() === "") errors[input] = "is required";
  }
  // A request's lease may also be "none", which its schema's message names too; a custom lease is a
  // duration, told what is wrong with it as one.
  const customLeaseError = values.lease === CUSTOM_LEASE ? durationError(values.customLease) : undefined;
  if (customLeaseError) errors.customLease = customLeaseError;
  return errors;
};

/** What `POST /api/estimates` is asked to price. */
export type EstimateQuestion = EstimateBody;

/**
 * The estimate the form's values can be priced by, or undefined while the resource or region breaks
 * the contract: the API would only refuse it, and the inline errors say why once the form is sent.
 * The justification plays no part in the price, so it is not asked for.
 */
export const estimateQuestionOf = (values: RequestFormValues): EstimateQuestion | undefined => {
  const resource = resourceSchema.safeParse(resourceFromForm(values));
  const region = optional(values.region);
  if (!resource.success || (region !== undefined && !regionSchema.safeParse(region).success))
    return undefined;
  return { resource: resource.data, ...(region !== undefined && { region }) };
};
