import { realpathSync } from "node:fs";
import {
  exchangeCode,
  IdentityProviderUnreachableError,
  SignInProtocolError,
  signInAsLocalUser,
  TokenRequestError,
  UnknownLocalUserError,
} from "../infra/local/identity/sign-in-client.ts";
import { ConfigError, env, loadConfig } from "../services/shared/config.ts";

const USAGE = `Usage: npm run token -- EMAIL
Prints an access token for that local user (see LOCAL_USERS), signed by the local identity provider
at IDP_URL (default http://localhost:$IDP_PORT, IDP_PORT defaulting to 8010).`;

const DEFAULT_IDP_PORT = 8010;

/** The token CLI's environment: where the running local mode's identity provider answers. */
export const loadTokenCliConfig = (environment: Record<string, string | undefined> = process.env) => {
  const { IDP_URL, IDP_PORT } = loadConfig(
    {
      IDP_URL: env.url().optional(),
      // The port `npm start` runs the provider on: a shell that moved it finds the provider there too.
      IDP_PORT: env.wholeNumber(1, 65535).default(DEFAULT_IDP_PORT),
    },
    environment,
  );
  return { IDP_URL: IDP_URL ?? `http://localhost:${IDP_PORT}` };
};

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Signs `email` in at the provider, as the portal would, and returns the access token it was issued. */
export const localAccessToken = async (idpUrl: string, email: string): Promise<string> =>
  (await exchangeCode(await signInAsLocalUser({ idpUrl, email }))).access_token;

const isEntryPoint = process.argv[1] !== undefined && realpathSync(process.argv[1]) === import.meta.filename;

if (isEntryPoint) {
  try {
    const args = process.argv.slice(2);
    const [email] = args;
    if (email === undefined || args.length !== 1 || email.startsWith("-")) throw new UsageError(USAGE);
    console.log(await localAccessToken(loadTokenCliConfig().IDP_URL, email));
  } catch (error) {
    const expected = [
      UsageError,
      ConfigError,
      IdentityProviderUnreachableError,
      UnknownLocalUserError,
      SignInProtocolError,
      TokenRequestError,
    ].some((kind) => error instanceof kind);
    console.error(expected ? (error as Error).message : error);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
