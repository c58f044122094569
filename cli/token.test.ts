import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_PORTAL_CLIENT_ID } from "../infra/local/identity/portal-client.ts";
import { type RunningIdentityProvider, startIdentityProvider } from "../infra/local/identity/server.ts";
import {
  IdentityProviderUnreachableError,
  UnknownLocalUserError,
} from "../infra/local/identity/sign-in-client.ts";
import { DEFAULT_LOCAL_USERS } from "../infra/local/identity/users.ts";
import { loadTokenCliConfig, localAccessToken } from "./token.ts";

const run = promisify(execFile);

let dataDir: string;
let provider: RunningIdentityProvider;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "token-cli-"));
  provider = await startIdentityProvider({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    publicUrl: "http://localhost:3999",
    users: DEFAULT_LOCAL_USERS,
  });
});

afterAll(async () => {
  await provider.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A port nothing listens on: the provider's own, once a second provider there has stopped. */
const closedProviderUrl = async () => {
  const stopped = await startIdentityProvider({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    publicUrl: "http://localhost:3999",
    users: DEFAULT_LOCAL_USERS,
  });
  await stopped.close();
  return stopped.url;
};

describe("npm run token", () => {
  it("returns an access token for a local user that verifies against the provider's JWKS", async () => {
    const token = await localAccessToken(provider.url, "Requester@Example.com");

    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${provider.url}/jwks`)), {
      issuer: provider.url,
    });
    expect(payload).toMatchObject({
      client_id: LOCAL_PORTAL_CLIENT_ID,
      token_use: "access",
      email: "requester@example.com",
      "cognito:groups": ["requesters"],
    });
  });

  it("refuses an unknown email, listing the local users", async () => {
    const attempt = localAccessToken(provider.url, "mallory@example.com");

    await expect(attempt).rejects.toThrow(UnknownLocalUserError);
    await expect(attempt).rejects.toThrow(
      "mallory@example.com is not a local user; the local users are: requester@example.com, " +
        "approver@example.com, approver2@example.com, operator@example.com",
    );
  });

  it("names the URL where no provider answers", async () => {
    const url = await closedProviderUrl();

    const attempt = localAccessToken(url, "requester@example.com");

    await expect(attempt).rejects.toThrow(IdentityProviderUnreachableError);
    await expect(attempt).rejects.toThrow(`No identity provider answers at ${url}`);
  });

  it("prints the problem and exits 1 when run against a provider that is not running", async () => {
    const url = await closedProviderUrl();

    const failure = run(process.execPath, ["--import", "tsx", "cli/token.ts", "requester@example.com"], {
      cwd: `${import.meta.dirname}/..`,
      env: { PATH: process.env.PATH, IDP_URL: url },
    });

    await expect(failure).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`No identity provider answers at ${url}`),
    });
  });
});

describe("the token CLI's configuration", () => {
  it("finds the provider on the default port, or on IDP_PORT, unless IDP_URL says where", () => {
    expect(loadTokenCliConfig({})).toEqual({ IDP_URL: "http://localhost:8010" });
    expect(loadTokenCliConfig({ IDP_PORT: "8111" })).toEqual({ IDP_URL: "http://localhost:8111" });
    expect(loadTokenCliConfig({ IDP_URL: "http://127.0.0.1:9000/", IDP_PORT: "8111" })).toEqual({
      IDP_URL: "http://127.0.0.1:9000",
    });
  });
});
