import type { FieldError } from "../events/validation.ts";
import type { RequestView } from "./schemas.ts";

/** Why an `INVALID` request was refused, in one cell; an error about no one field is its message alone. */
const fieldErrorsText = (fieldErrors: readonly FieldError[] | undefined) =>
  fieldErrors?.map(({ field, message }) => (field ? `${field} ${message}` : message)).join("; ");

/**
 * The CSV export of requests, shared by the CLI (`npm run requests -- export`) and the portal's
 * "Download CSV", so both write the same columns the same way.
 */
const COLUMNS: [string, (request: RequestView) => string | number | undefined][] = [
  ["requestId", (r) => r.requestId],
  ["status", (r) => r.status],
  ["requesterEmail", (r) => r.requester?.email],
  ["requesterName", (r) => r.requester?.name],
  ["instanceType", (r) => r.resource?.instanceType],
  ["os", (r) => r.resource?.os],
  ["instanceName", (r) => r.resource?.name],
  ["volumeSizeGiB", (r) => r.resource?.volume?.sizeGiB],
  ["volumeType", (r) => r.resource?.volume?.type],
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
