import { env, loadConfig } from "../shared/config.ts";

const DEFAULT_PORT = 3000;

/** The requests CLI's environment, read once when it starts. */
export const loadRequestsCliConfig = (environment: Record<string, string | undefined> = process.env) => {
  const { API_URL, PORT, INIT_CWD } = loadConfig(
    {
      API_URL: env.url().optional(),
      // The port `npm start` serves on: a shell that moved it for local mode finds the API there too.
      PORT: env.wholeNumber(1, 65535).default(DEFAULT_PORT),
      // npm sets it to the directory `npm run` was started from; run directly, the CLI uses its own.
      INIT_CWD: env.text().optional(),
    },
    environment,
  );
  return { API_URL: API_URL ?? `http://localhost:${PORT}`, INIT_CWD };
};
