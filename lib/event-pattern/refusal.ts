/** Why AWS refuses a pattern: every refusal carries the reason its open-source engine (aws/event-ruler) gives. */

export class InvalidEventPatternError extends Error {
  override readonly name = "InvalidEventPatternError";

  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Event pattern is not valid. Reason: ${reason}`, options);
  }
}

export function refuse(reason: string): never {
  throw new InvalidEventPatternError(reason);
}
