import type { z } from "zod";

/** A field-level problem, as the HTTP API, `RequestInvalid` and the portal all report it. */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `resource.volume.sizeGiB`; empty for the whole body. */
  field: string;
  message: string;
}

const pathToField = (path: readonly PropertyKey[]): string =>
  path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : String(segment)))
    .join(".")
    .replaceAll(".[", "[");

export const fieldErrorsOf = (error: z.ZodError): FieldError[] =>
  error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: pathToField([...issue.path, key]),
        message: "is not a recognised field",
      }));
    }
    return [{ field: pathToField(issue.path), message: issue.message }];
  });

export class DetailValidationError extends Error {
  override readonly name = "DetailValidationError";
  readonly fieldErrors: FieldError[];
  constructor(detailType: string, cause: z.ZodError) {
    const fieldErrors = fieldErrorsOf(cause);
    super(
      `Invalid ${detailType} detail: ${fieldErrors.map((e) => `${e.field || "(detail)"} ${e.message}`).join("; ")}`,
      { cause },
    );
    this.fieldErrors = fieldErrors;
  }
}
