import { NO_END } from "../events/lease-duration.ts";
import type { Resource, ResourceType } from "../events/request.ts";
import type { FieldError } from "../events/validation.ts";
import { costEstimateInWords } from "./request-words.ts";
import type { RequestView } from "./schemas.ts";

/** Why an `INVALID` request was refused, in one cell; an error about no one field is its message alone. */
const fieldErrorsText = (fieldErrors: readonly FieldError[] | undefined) =>
  fieldErrors?.map(({ field, message }) => (field ? `${field} ${message}` : message)).join("; ");

/** The resource when it is of one type, so a type's columns stay empty for the others. */
const resourceOf = <Type extends ResourceType>(
  { resource }: RequestView,
  type: Type,
): Extract<Resource, { type: Type }> | undefined =>
  resource?.type === type ? (resource as Extract<Resource, { type: Type }>) : undefined;

const ec2Of = (r: RequestView) => resourceOf(r, "ec2");
const rdsOf = (r: RequestView) => resourceOf(r, "rds");
const s3Of = (r: RequestView) => resourceOf(r, "s3");

/** An unknown estimate says so in its cell, never as 0; empty for requests accepted before estimates. */
const estimateCell = ({ estimatedMonthlyCostUsd }: RequestView) =>
  estimatedMonthlyCostUsd === null ? "unknown" : estimatedMonthlyCostUsd;

const flagCell = (flag: boolean | undefined) => (flag === undefined ? undefined : String(flag));

/**
 * The view's `leaseEndsAt` (when it was released, once it was); a lease without an end says so as a
 * request asks for one (`none`); empty before it starts.
 */
const leaseEndCell = ({ leaseEndsAt }: RequestView) => (leaseEndsAt === null ? NO_END : leaseEndsAt);

/**
 * The CSV export of requests, shared by the CLI (`npm run requests -- export`) and the portal's
 * "Download CSV", so both write the same columns the same way. Columns are only ever added at the
 * end, so a spreadsheet built on an older export keeps reading the same columns.
 */
const COLUMNS: [string, (request: RequestView) => string | number | undefined][] = [
  ["requestId", (r) => r.requestId],
  ["status", (r) => r.status],
  ["requesterEmail", (r) => r.requester?.email],
  ["requesterName", (r) => r.requester?.name],
  ["instanceType", (r) => ec2Of(r)?.instanceType],
  ["os", (r) => ec2Of(r)?.os],
  ["instanceName", (r) => ec2Of(r)?.name],
  ["volumeSizeGiB", (r) => ec2Of(r)?.volume?.sizeGiB],
  ["volumeType", (r) => ec2Of(r)?.volume?.type],
  ["justification", (r) => r.justification],
  ["submittedAt", (r) => r.submittedAt],
  ["decision", (r) => r.decision?.outcome],
  ["approver", (r) => r.decision?.approver],
  ["decisionReason", (r) => r.decision?.reason],
  ["decidedAt", (r) => r.decision?.decidedAt],
  ["instanceId", (r) => r.instanceId],
  ["privateIp", (r) => r.privateIp],
  ["failureReason", (r) => r.failureReason],
  ["invalidFields", (r) => fieldErrorsText(r.fieldErrors)],
  ["updatedAt", (r) => r.updatedAt],
  ["resourceType", (r) => r.resource?.type],
  ["region", (r) => r.region],
  ["estimatedMonthlyCostUsd", estimateCell],
  ["costEstimate", (r) => costEstimateInWords(r.estimatedMonthlyCostUsd, r.costEstimate)],
  ["engine", (r) => rdsOf(r)?.engine],
  ["engineVersion", (r) => rdsOf(r)?.engineVersion],
  ["instanceClass", (r) => rdsOf(r)?.instanceClass],
  ["dbInstanceName", (r) => rdsOf(r)?.name],
  ["databaseName", (r) => rdsOf(r)?.databaseName],
  ["allocatedStorageGiB", (r) => rdsOf(r)?.allocatedStorageGiB],
  ["storageType", (r) => rdsOf(r)?.storageType],
  ["multiAz", (r) => flagCell(rdsOf(r)?.multiAz)],
  ["backupRetentionDays", (r) => rdsOf(r)?.backupRetentionDays],
  ["dbInstanceIdentifier", (r) => r.dbInstanceIdentifier],
  ["dbEndpoint", (r) => r.database && `${r.database.host}:${r.database.port}`],
  ["dbSecretArn", (r) => r.database?.masterUserSecretArn],
  ["bucketName", (r) => s3Of(r)?.bucketName],
  ["versioning", (r) => flagCell(s3Of(r)?.versioning)],
  ["encryption", (r) => s3Of(r)?.encryption],
  ["expireObjectsAfterDays", (r) => s3Of(r)?.expireObjectsAfterDays],
  ["bucketArn", (r) => r.bucket?.arn],
  ["leaseEndsAt", leaseEndCell],
  ["releasedAt", (r) => r.lease?.release?.releasedAt],
];

/** Spreadsheets run cells starting with these as formulas; a leading quote keeps them text. */
const FORMULA_START = /^[=+\-@\t\r]/;

export const csvCell = (value: string | number | undefined): string => {
  if (value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const requestsToCsv = (requests: readonly RequestView[]): string =>
  [COLUMNS.map(([name]) => name), ...requests.map((request) => COLUMNS.map(([, read]) => read(request)))]
    .map((row) => row.map((cell) => csvCell(cell)).join(","))
    .join("\r\n")
    .concat("\r\n");
