import { describe, expect, it, vi } from "vitest";
import { keptUntilFailure } from "./kept-until-failure.ts";

describe("a value kept until its load fails", () => {
  it("is loaded once, however often and however concurrently it is asked for", async () => {
    const load = vi.fn(async () => "secret");
    const value = keptUntilFailure(load);
    expect(await Promise.all([value(), value()])).toEqual(["secret", "secret"]);
    expect(await value()).toBe("secret");
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("is loaded again after a failed load, which is not kept", async () => {
    const load = vi.fn<() => Promise<string>>().mockRejectedValueOnce(new Error("throttled"));
    load.mockResolvedValueOnce("secret");
    const value = keptUntilFailure(load);
    await expect(value()).rejects.toThrow("throttled");
    expect(await value()).toBe("secret");
    expect(load).toHaveBeenCalledTimes(2);
  });
});
