import "../../test/support/service-environment.ts";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import { createHmacKeyProvider, HmacKeyUnavailableError } from "./hmac-key.ts";

const SECRET = "a-secret-of-at-least-thirty-two-characters";

describe("the HMAC key source", () => {
  it("uses HMAC_SECRET when it is set (local mode)", async () => {
    const hmacKey = createHmacKeyProvider({ secret: SECRET }, async () => {
      throw new Error("Secrets Manager must not be called");
    });

    expect(await hmacKey()).toEqual(Buffer.from(SECRET, "utf8"));
  });

  it("fetches the secret named by HMAC_SECRET_ARN once and keeps it", async () => {
    const fetched: string[] = [];
    const hmacKey = createHmacKeyProvider(
      { secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:hmac" },
      async (arn) => {
        fetched.push(arn);
        return SECRET;
      },
    );

    const [first, second] = await Promise.all([hmacKey(), hmacKey()]);
    const third = await hmacKey();

    expect(fetched).toEqual(["arn:aws:secretsmanager:eu-west-1:1:secret:hmac"]);
    expect(first).toEqual(Buffer.from(SECRET, "utf8"));
    expect(second).toBe(first);
    expect(third).toBe(first);
  });

  it("tries Secrets Manager again after a failed fetch", async () => {
    let calls = 0;
    const hmacKey = createHmacKeyProvider({ secretArn: "arn:secret" }, async () => {
      calls++;
      if (calls === 1) throw new Error("throttled");
      return SECRET;
    });

    await expect(hmacKey()).rejects.toThrow("throttled");
    expect(await hmacKey()).toEqual(Buffer.from(SECRET, "utf8"));
  });

  it("refuses a secret too short to sign links", async () => {
    const hmacKey = createHmacKeyProvider({ secretArn: "arn:secret" }, async () => "short");

    await expect(hmacKey()).rejects.toBeInstanceOf(HmacKeyUnavailableError);
  });

  it("fails with a ConfigError naming both variables when neither is set", () => {
    expect(() => createHmacKeyProvider({})).toThrow(ConfigError);
    expect(() => createHmacKeyProvider({})).toThrow(/HMAC_SECRET.*HMAC_SECRET_ARN/);
  });
});
