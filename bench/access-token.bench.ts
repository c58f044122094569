import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet } from "jose";
import { LOCAL_PORTAL_CLIENT_ID } from "../infra/local/identity/portal-client.ts";
import { startIdentityProvider } from "../infra/local/identity/server.ts";
import { exchangeCode, signInAsLocalUser } from "../infra/local/identity/sign-in-client.ts";
import { DEFAULT_LOCAL_USERS } from "../infra/local/identity/users.ts";
import { createAccessTokenVerifier } from "../services/shared/access-token.ts";
import { BenchmarkFailedError } from "./bus.bench.ts";
import { type Metric, percentile } from "./types.ts";

const WARM_UP_VERIFICATIONS = 500;

export interface AccessTokenBenchmarkOptions {
  verifications?: number;
}

/**
 * What checking the caller costs each API call: verifying a real access token of the local provider
 * (signature, issuer, expiry, audience, claims) as the services do, with the provider's JWKS fetched
 * once beforehand, as it stays cached in a warm function.
 */
export const benchmarkAccessTokens = async ({
  verifications = 5_000,
}: AccessTokenBenchmarkOptions = {}): Promise<Metric[]> => {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-identity-"));
  const provider = await startIdentityProvider({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    publicUrl: "http://localhost:3000",
    users: DEFAULT_LOCAL_USERS,
  });
  try {
    const requester = DEFAULT_LOCAL_USERS[0]?.email ?? "requester@example.com";
    const { access_token: token } = await exchangeCode(
      await signInAsLocalUser({ idpUrl: provider.url, email: requester }),
    );
    const verify = createAccessTokenVerifier(
      { issuer: provider.url, audience: LOCAL_PORTAL_CLIENT_ID },
      createRemoteJWKSet(new URL(`${provider.url}/jwks`)),
    );
    // The first verification fetches the JWKS; every later one finds it cached.
    if ((await verify(token)).email !== requester)
      throw new BenchmarkFailedError("The token names another user");
    // A warm function has run its verifier many times: the JIT, not the first calls, is what it costs.
    for (let index = 0; index < WARM_UP_VERIFICATIONS; index++) await verify(token);

    const durations: number[] = [];
    for (let index = 0; index < verifications; index++) {
      const before = performance.now();
      await verify(token);
      durations.push(performance.now() - before);
    }
    return [
      {
        label: `verification p50 (${verifications}, JWKS cached)`,
        value: percentile(durations, 50) * 1000,
        unit: "µs",
      },
      { label: "verification p99", value: percentile(durations, 99) * 1000, unit: "µs" },
    ];
  } finally {
    await provider.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};
