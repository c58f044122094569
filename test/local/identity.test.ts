import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StackUnderTest, startStack } from "../support/stack.ts";

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

let stack: StackUnderTest;

beforeAll(async () => {
  stack = await startStack({
    env: { LOCAL_USERS: '[{"email": "kim@example.com", "name": "Kim Example", "groups": ["approvers"]}]' },
  });
});

afterAll(async () => {
  await stack?.destroy();
});

describe("npm start's identity provider", () => {
  it("runs on IDP_PORT as the issuer the health check names, and npm run token signs LOCAL_USERS in", async () => {
    const issuer = `http://localhost:${stack.ports.identity}`;
    const health = await (await fetch(`${stack.portalUrl}/api/health`)).json();
    expect(health).toMatchObject({ identity: issuer });

    const { stdout } = await run(process.execPath, ["--import", "tsx", "cli/token.ts", "kim@example.com"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, IDP_PORT: String(stack.ports.identity) },
    });

    const { payload } = await jwtVerify(stdout.trim(), createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
      issuer,
    });
    expect(payload).toMatchObject({
      email: "kim@example.com",
      name: "Kim Example",
      "cognito:groups": ["approvers"],
    });
  });
});
