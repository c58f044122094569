import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { readOrCreateSecretFile } from "../secret-file.ts";

/** The stand-in Slack app's credentials: what its Web API accepts and what it signs interactions with. */
export interface StandInCredentials {
  botToken: string;
  signingSecret: string;
}

/** Made once per data directory, so messages' buttons still verify after a restart. */
export const standInCredentials = async (dataDir: string): Promise<StandInCredentials> => ({
  botToken: (
    await readOrCreateSecretFile(
      join(dataDir, "slack-bot-token"),
      () => `xoxb-local-${randomBytes(24).toString("hex")}`,
    )
  ).trim(),
  signingSecret: (
    await readOrCreateSecretFile(join(dataDir, "slack-signing-secret"), () => randomBytes(32).toString("hex"))
  ).trim(),
});
