import type { FieldError } from "../../events/validation.ts";

/**
 * A failure the caller caused and can fix. The HTTP layer passes its status and message through;
 * everything else becomes an opaque 500.
 */
export class ClientError extends Error {
  override readonly name: string = "ClientError";
  /** Headers the answer needs besides the JSON body (a 401's `WWW-Authenticate`). */
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415,
    message: string,
    readonly fieldErrors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An event a consumer can never process however often it is retried (bad input, a refused
 * parameter): turned into a failure event at once instead of going round the retries.
 */
export class PermanentFailure extends Error {
  override readonly name: string = "PermanentFailure";
  constructor(
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
