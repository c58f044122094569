import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../services/shared/config.ts";
import { loadRequestsCliConfig } from "./requests.ts";

const run = promisify(execFile);

describe("the requests CLI's configuration", () => {
  it("reads the local API and no start directory when nothing is set", () => {
    expect(loadRequestsCliConfig({})).toEqual({
      API_URL: "http://localhost:3000",
      INIT_CWD: undefined,
      API_TOKEN: undefined,
    });
  });

  it("finds the local API on PORT, as npm start serves it", () => {
    expect(loadRequestsCliConfig({ PORT: "3100" }).API_URL).toBe("http://localhost:3100");
  });

  it("prefers API_URL to PORT", () => {
    expect(loadRequestsCliConfig({ PORT: "3100", API_URL: "http://127.0.0.1:9000" }).API_URL).toBe(
      "http://127.0.0.1:9000",
    );
  });

  it("refuses a PORT that is not a port, naming it", () => {
    expect(() => loadRequestsCliConfig({ PORT: "http" })).toThrow(
      "Invalid configuration: PORT must be a whole number",
    );
  });

  it("reads API_URL without its trailing slash, and INIT_CWD", () => {
    expect(
      loadRequestsCliConfig({ API_URL: "https://approvals.example.com/", INIT_CWD: "/home/ana" }),
    ).toEqual({
      API_URL: "https://approvals.example.com",
      INIT_CWD: "/home/ana",
      API_TOKEN: undefined,
    });
  });

  it("reads the access token to call the API with from API_TOKEN", () => {
    expect(loadRequestsCliConfig({ API_TOKEN: " eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl\n" }).API_TOKEN).toBe(
      "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
    );
  });

  it.each(["Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "eyJhbGciOi.eyJzdWIiOi", ""])(
    "refuses an API_TOKEN that is not a token alone (%j), naming it",
    (token) => {
      expect(() => loadRequestsCliConfig({ API_TOKEN: token })).toThrow(
        /^Invalid configuration: API_TOKEN must /,
      );
    },
  );

  it("refuses an API_URL that is not an absolute URL, naming it", () => {
    const load = () => loadRequestsCliConfig({ API_URL: "approvals example com" });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow("Invalid configuration: API_URL must be an absolute URL");
  });

  it("makes the CLI print the problem, without a stack trace, and exit 1", async () => {
    const failure = run(process.execPath, ["--import", "tsx", "cli/requests.ts", "list"], {
      cwd: `${import.meta.dirname}/..`,
      env: { PATH: process.env.PATH, API_URL: "nope" },
    });

    await expect(failure).rejects.toMatchObject({
      code: 1,
      stderr: "Invalid configuration: API_URL must be an absolute URL\n",
    });
  });
});
