import type { IncomingMessage } from "node:http";
import { text } from "node:stream/consumers";
import { z } from "zod";
import { formatTable } from "../../../cli/format-table.ts";
import type { EdgeResponse } from "../edge/types.ts";
import type { DeadLetter, DeadLetterStore } from "./types.ts";

export const DEAD_LETTERS_PATH = "/_local/dead-letters";
export const REDRIVE_PATH = "/_local/dead-letters/redrive";

export class DeadLetterNotFoundError extends Error {
  override readonly name = "DeadLetterNotFoundError";
  constructor(readonly ids: string[]) {
    super(`No dead letter with id ${ids.join(", ")}`);
  }
}

export class RuntimeUnreachableError extends Error {
  override readonly name = "RuntimeUnreachableError";
}

export class DeadLetterRequestError extends Error {
  override readonly name = "DeadLetterRequestError";
}

export class DeadLetterUsageError extends Error {
  override readonly name = "DeadLetterUsageError";
}

const RedriveRequestSchema = z.object({ ids: z.array(z.string().min(1)).optional() });

const json = (status: number, body: unknown): EdgeResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const methodNotAllowed = (allowed: string) => ({
  ...json(405, { message: `Use ${allowed}` }),
  headers: { "content-type": "application/json", allow: allowed },
});

const redriveFrom = async (store: DeadLetterStore, request: IncomingMessage): Promise<EdgeResponse> => {
  const body = await text(request);
  let input: unknown;
  try {
    input = body.trim() === "" ? {} : JSON.parse(body);
  } catch {
    return json(400, { message: 'The body must be JSON: {"ids": ["..."]}' });
  }
  const parsed = RedriveRequestSchema.safeParse(input);
  if (!parsed.success) return json(400, { message: "ids must be an array of dead letter ids" });
  try {
    return json(200, { redriven: await store.redrive(parsed.data.ids) });
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError)
      return json(404, { message: error.message, ids: error.ids });
    throw error;
  }
};

/**
 * The edge's `localRoutes` for the dead-letter store: `GET /_local/dead-letters` lists it and
 * `POST /_local/dead-letters/redrive` (`{ids?: string[]}`, all when absent) redrives.
 */
export const deadLetterRoutes =
  (store: DeadLetterStore) =>
  async (request: IncomingMessage, url: URL): Promise<EdgeResponse | undefined> => {
    if (url.pathname === DEAD_LETTERS_PATH) {
      return request.method === "GET"
        ? json(200, { deadLetters: store.listDeadLetters() })
        : methodNotAllowed("GET");
    }
    if (url.pathname === REDRIVE_PATH) {
      return request.method === "POST" ? redriveFrom(store, request) : methodNotAllowed("POST");
    }
    return undefined;
  };

const callRuntime = async <T>(edgeUrl: string, path: string, init?: RequestInit): Promise<T> => {
  let response: Response;
  try {
    response = await fetch(new URL(path, edgeUrl), init);
  } catch (error) {
    throw new RuntimeUnreachableError(
      `The local runtime is not reachable at ${edgeUrl}: start it with \`npm start\`, or set EDGE_URL to where it runs`,
      { cause: error },
    );
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) {
    throw new DeadLetterRequestError(`${edgeUrl}${path} answered ${response.status}: ${body.message ?? ""}`);
  }
  return body as T;
};

const fetchDeadLetters = async (edgeUrl: string): Promise<DeadLetter[]> =>
  (await callRuntime<{ deadLetters: DeadLetter[] }>(edgeUrl, DEAD_LETTERS_PATH)).deadLetters;

const requestRedrive = async (edgeUrl: string, ids?: string[]): Promise<DeadLetter[]> =>
  (
    await callRuntime<{ redriven: DeadLetter[] }>(edgeUrl, REDRIVE_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ids }),
    })
  ).redriven;

const deadLetterTable = (deadLetters: readonly DeadLetter[]): string =>
  formatTable(
    ["ID", "DEAD-LETTERED AT", "BUS", "RULE", "DETAIL-TYPE", "EVENT ID", "ATTEMPTS", "ERROR"],
    deadLetters.map((deadLetter) => [
      deadLetter.id,
      deadLetter.deadLetteredAt,
      deadLetter.eventBusName,
      deadLetter.ruleName,
      deadLetter.event["detail-type"],
      deadLetter.event.id,
      String(deadLetter.attempts),
      `${deadLetter.error.name}: ${deadLetter.error.message}`,
    ]),
  );

const USAGE =
  "Usage: npm run dlq -- list\n       npm run dlq -- redrive [ID...]   (every dead letter when no id is given)";

/** The `dlq` command against the running local runtime's edge; returns what to print. */
export const runDeadLetterCommand = async (args: readonly string[], edgeUrl: string): Promise<string> => {
  const [command, ...ids] = args;
  if (command === "list" && ids.length === 0) {
    const deadLetters = await fetchDeadLetters(edgeUrl);
    return deadLetters.length === 0 ? "No dead letters." : deadLetterTable(deadLetters);
  }
  if (command === "redrive") {
    const redriven = await requestRedrive(edgeUrl, ids.length > 0 ? ids : undefined);
    return redriven.length === 0
      ? "No dead letters to redrive."
      : `Redriven ${redriven.length} dead letter(s); they are queued for delivery:\n${deadLetterTable(redriven)}`;
  }
  throw new DeadLetterUsageError(USAGE);
};
