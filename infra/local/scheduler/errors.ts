/** The errors the Scheduler API answers with, by AWS's names, and the HTTP status each comes with. */
export const SCHEDULER_ERROR_STATUS = {
  ValidationException: 400,
  SerializationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ConflictException: 409,
  InternalServerException: 500,
} as const;

export type SchedulerErrorType = keyof typeof SCHEDULER_ERROR_STATUS;

/** A refusal the local Scheduler answers with AWS's error name and wording. */
export class SchedulerApiError extends Error {
  override readonly name = "SchedulerApiError";
  constructor(
    readonly type: SchedulerErrorType,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const scheduleNotFound = (name: string) =>
  new SchedulerApiError("ResourceNotFoundException", `Schedule ${name} does not exist.`);

export const groupNotFound = (name: string) =>
  new SchedulerApiError("ResourceNotFoundException", `Schedule group ${name} does not exist.`);
