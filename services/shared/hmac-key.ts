import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { z } from "zod";
import { ConfigError, env, loadConfig } from "./config.ts";
import { keptUntilFailure } from "./kept-until-failure.ts";

/** Shorter keys are guessable offline from a single link. */
export const MIN_HMAC_SECRET_LENGTH = 32;

export class HmacKeyUnavailableError extends Error {
  override readonly name = "HmacKeyUnavailableError";
}

export interface HmacKeySource {
  /** The key itself: local mode. */
  secret?: string;
  /** A Secrets Manager secret holding the key: on AWS. */
  secretArn?: string;
}

export type FetchSecret = (secretArn: string) => Promise<string | Uint8Array | undefined>;

/**
 * The key that signs decision links, from the environment locally or from Secrets Manager on AWS,
 * fetched once per process and kept: links must verify with the key they were signed with. A failed
 * fetch is not kept, so the next call tries again.
 */
export const createHmacKeyProvider = (
  source: HmacKeySource,
  fetchSecret: FetchSecret = (secretArn) => getSecret(secretArn),
): (() => Promise<Buffer>) => {
  const { secret, secretArn } = source;
  if (secret !== undefined) {
    const key = Buffer.from(secret, "utf8");
    return async () => key;
  }
  if (secretArn === undefined) {
    throw new ConfigError("Invalid configuration: set HMAC_SECRET (local mode) or HMAC_SECRET_ARN (on AWS)");
  }
  const fetchKey = async (): Promise<Buffer> => {
    const value = await fetchSecret(secretArn);
    const key = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value ?? []);
    if (key.length < MIN_HMAC_SECRET_LENGTH) {
      throw new HmacKeyUnavailableError(
        `The secret ${secretArn} must hold at least ${MIN_HMAC_SECRET_LENGTH} bytes to sign decision links`,
      );
    }
    return key;
  };
  return keptUntilFailure(fetchKey);
};

const config = loadConfig({
  HMAC_SECRET: z
    .string()
    .min(MIN_HMAC_SECRET_LENGTH, `must be at least ${MIN_HMAC_SECRET_LENGTH} characters`)
    .optional(),
  HMAC_SECRET_ARN: env.text().optional(),
});

/** The process's signing key, shared by approval-mail (signing) and decision (verifying). */
export const hmacKey = createHmacKeyProvider({
  secret: config.HMAC_SECRET,
  secretArn: config.HMAC_SECRET_ARN,
});
