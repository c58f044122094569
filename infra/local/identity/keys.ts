import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { readOrCreateSecretFile } from "../secret-file.ts";

/** The algorithm of every token the local provider signs; Cognito signs with it too. */
export const SIGNING_ALGORITHM = "RS256";

export class IdentityKeyFileError extends Error {
  override readonly name = "IdentityKeyFileError";
}

export interface IdentityKeys {
  /** The private signing key (with `kid`, `alg`, `use`), as the provider's JWKS configuration takes it. */
  signingKey: JWK;
  /** Keys for the provider's signed cookies, newest first. */
  cookieKeys: string[];
}

/** Made once per data directory and read back on every start, so tokens and sessions survive restarts. */
const persisted = async <T>(file: string, make: () => Promise<T>, isValid: (value: unknown) => boolean) => {
  const text = await readOrCreateSecretFile(file, async () => JSON.stringify(await make(), null, 2));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new IdentityKeyFileError(`${file} is not readable JSON; remove it to make a new one`, { cause });
  }
  if (!isValid(value))
    throw new IdentityKeyFileError(`${file} does not hold the expected keys; remove it to make a new one`);
  return value as T;
};

const newSigningKey = async (): Promise<JWK> => {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: SIGNING_ALGORITHM, use: "sig" };
};

const isSigningKey = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "kty" in value && "d" in value && "kid" in value;

const isCookieKeyList = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((key) => typeof key === "string" && key.length >= 32);

/** The provider's keys under `<dataDir>/identity`, generated on the first start. */
export const loadIdentityKeys = async (dataDir: string): Promise<IdentityKeys> => {
  const directory = join(dataDir, "identity");
  await mkdir(directory, { recursive: true, mode: 0o700 });
  return {
    signingKey: await persisted(join(directory, "signing-key.json"), newSigningKey, isSigningKey),
    cookieKeys: await persisted(
      join(directory, "cookie-keys.json"),
      async () => [randomBytes(32).toString("base64url")],
      isCookieKeyList,
    ),
  };
};
