import { realpathSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  ApiError,
  ApiUnreachableError,
  createApiClient,
  fetchAllRequests,
  UnexpectedAnswerError,
} from "../api/client.ts";
import { requestsToCsv } from "../api/csv.ts";
import type { RequestView } from "../api/schemas.ts";
import { ConfigError, env, loadConfig } from "../services/shared/config.ts";
import { formatTable } from "./format-table.ts";

const USAGE = `Usage:
  npm run requests -- list [--requester EMAIL] [--status STATUS]
  npm run requests -- export FILE.csv [--requester EMAIL] [--status STATUS]
The requests API is read at API_URL (default http://localhost:$PORT, PORT defaulting to 3000), as the
operator whose access token is in API_TOKEN, e.g. API_TOKEN=$(npm run -s token -- operator@example.com).`;

const DEFAULT_PORT = 3000;

/** A JWT as the identity provider issues it: three base64url parts, and nothing around them. */
const ACCESS_TOKEN_PATTERN = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** The requests CLI's environment, read once when it starts. */
export const loadRequestsCliConfig = (environment: Record<string, string | undefined> = process.env) => {
  const { API_URL, PORT, INIT_CWD, API_TOKEN } = loadConfig(
    {
      API_URL: env.url().optional(),
      // Checked here so a token pasted with its "Bearer " or cut short is named, not sent.
      API_TOKEN: env
        .text()
        .regex(ACCESS_TOKEN_PATTERN, "must be an access token alone (a JWT: three parts separated by dots)")
        .optional(),
      // The port `npm start` serves on: a shell that moved it for local mode finds the API there too.
      PORT: env.wholeNumber(1, 65535).default(DEFAULT_PORT),
      // npm sets it to the directory `npm run` was started from; run directly, the CLI uses its own.
      INIT_CWD: env.text().optional(),
    },
    environment,
  );
  return { API_URL: API_URL ?? `http://localhost:${PORT}`, INIT_CWD, API_TOKEN };
};

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The API did not take API_TOKEN (or none was set): what to set instead. */
export class ApiTokenRefusedError extends Error {
  override readonly name = "ApiTokenRefusedError";
}

/** The client names the address it could not reach; from here, this is what to do about it. */
const UNREACHABLE_HINT = "Is it running (npm start)? Set API_URL to use another.";

const TOKEN_HINT =
  "Set API_TOKEN to an operator's access token, e.g. API_TOKEN=$(npm run -s token -- operator@example.com)";

export interface CommandOptions {
  apiUrl: string;
  /** The operator's access token the API is called with (API_TOKEN). */
  accessToken?: string;
  /** Where a relative export path is resolved: the directory `npm run` was started from. */
  cwd: string;
}

const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A timestamp as a person reads it, in their own time zone. */
export const formatLocalTime = (iso: string): string => localTime.format(new Date(iso));

/** What a request asks for, short enough for a table: the type, what it is, its name and where. */
export const resourceSummary = ({ resource, region }: RequestView): string => {
  if (!resource) return "";
  const quoted = (name: string | undefined) => name && `"${name}"`;
  const what =
    resource.type === "ec2"
      ? [resource.instanceType, quoted(resource.name)]
      : resource.type === "rds"
        ? [resource.engine, resource.engineVersion, resource.instanceClass, quoted(resource.name)]
        : [resource.bucketName];
  return [resource.type, ...what, region && `in ${region}`].filter(Boolean).join(" ");
};

export const requestsTable = (requests: readonly RequestView[]): string =>
  formatTable(
    ["ID", "STATUS", "REQUESTER", "RESOURCE", "SUBMITTED"],
    requests.map((request) => [
      request.requestId,
      request.status,
      request.requester?.email ?? "",
      resourceSummary(request),
      formatLocalTime(request.submittedAt),
    ]),
  );

const parseCommandLine = (args: readonly string[]) => {
  try {
    return parseArgs({
      args: [...args],
      options: { requester: { type: "string" }, status: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message}\n${USAGE}`, { cause });
  }
};

/** `list` and `export FILE.csv`, each with optional filters; resolves to what to print. */
export const runRequestsCommand = async (
  args: readonly string[],
  options: CommandOptions,
): Promise<string> => {
  const { positionals, values: filters } = parseCommandLine(args);
  const [command, ...operands] = positionals;
  const api = createApiClient(options.apiUrl, fetch, options.accessToken);
  const fetchRequests = () =>
    fetchAllRequests(api, filters).catch((error: unknown) => {
      if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) throw error;
      // The client's message already names the status and the API's reason.
      const problem =
        options.accessToken === undefined
          ? "The requests API asks for an access token and API_TOKEN is not set"
          : error.message;
      throw new ApiTokenRefusedError(`${problem}. ${TOKEN_HINT}.`, { cause: error });
    });
  if (command === "list" && operands.length === 0) {
    const requests = await fetchRequests();
    return requests.length === 0 ? "No requests match." : requestsTable(requests);
  }
  const [file] = operands;
  if (command === "export" && file !== undefined && operands.length === 1) {
    const requests = await fetchRequests();
    const path = resolve(options.cwd, file);
    await writeFile(path, requestsToCsv(requests));
    return `Wrote ${requests.length} request${requests.length === 1 ? "" : "s"} to ${path}`;
  }
  throw new UsageError(USAGE);
};

const isEntryPoint = process.argv[1] !== undefined && realpathSync(process.argv[1]) === import.meta.filename;

if (isEntryPoint) {
  try {
    const config = loadRequestsCliConfig();
    console.log(
      await runRequestsCommand(process.argv.slice(2), {
        apiUrl: config.API_URL,
        accessToken: config.API_TOKEN,
        cwd: config.INIT_CWD ?? process.cwd(),
      }),
    );
  } catch (error) {
    const expected =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof ApiUnreachableError ||
      error instanceof ApiError ||
      error instanceof ApiTokenRefusedError ||
      error instanceof UnexpectedAnswerError ||
      // The export file could not be written: Node's message names the path and the reason.
      (error instanceof Error && "syscall" in error);
    console.error(expected ? (error as Error).message : error);
    if (error instanceof ApiUnreachableError) console.error(UNREACHABLE_HINT);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
