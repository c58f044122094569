import { env, loadConfig } from "../shared/config.ts";

export const DEFAULT_API_URL = "http://localhost:3000";

/** The requests CLI's environment, read once when it starts. */
export const loadRequestsCliConfig = (environment: Record<string, string | undefined> = process.env) =>
  loadConfig(
    {
      API_URL: env.url().default(DEFAULT_API_URL),
      // npm sets it to the directory `npm run` was started from; run directly, the CLI uses its own.
      INIT_CWD: env.text().optional(),
    },
    environment,
  );
