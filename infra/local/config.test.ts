import { describe, expect, it } from "vitest";
import { ConfigError } from "../../services/shared/config.ts";
import { loadLocalConfig } from "./config.ts";

describe("local configuration", () => {
  it("leaves the images to the launcher's defaults when IMAGE_IDS is not set", () => {
    expect(loadLocalConfig({}).IMAGE_IDS).toBeUndefined();
  });

  it("reads IMAGE_IDS as the launcher does", () => {
    const config = loadLocalConfig({
      IMAGE_IDS: '{"amazon-linux-2023": {"x86_64": "ami-00000000000000bad"}}',
    });

    expect(config.IMAGE_IDS).toEqual({ "amazon-linux-2023": { x86_64: "ami-00000000000000bad" } });
  });

  it("refuses to start with a malformed IMAGE_IDS, naming the entry at fault", () => {
    const load = () =>
      loadLocalConfig({ IMAGE_IDS: '{"windows-server-2022": {"arm64": "ami-0123456789abcdef0"}}' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      "Invalid local configuration: IMAGE_IDS.windows-server-2022.arm64 cannot be set: windows-server-2022 runs only on x86_64",
    );
  });
});
