import { z } from "zod";
import { formatTable } from "../../../cli/format-table.ts";
import type { Principal } from "../edge/principals.ts";
import { signedFetch } from "../edge/signature.ts";
import type { EdgeResponse, ReadRequest } from "../edge/types.ts";
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

const redriveFrom = async (store: DeadLetterStore, request: ReadRequest): Promise<EdgeResponse> => {
  const body = request.body.toString("utf8");
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

/** The scope the dead-letter routes are signed under: they are the local runtime's, no AWS service's. */
export const DEAD_LETTERS_SCOPE = { region: "us-east-1", service: "local" };

/**
 * The edge's `localRoutes` for the dead-letter store: `GET /_local/dead-letters` lists it and
 * `POST /_local/dead-letters/redrive` (`{ids?: string[]}`, all when absent) redrives. Both are an
 * operator's actions, as reading and redriving a dead-letter queue are on AWS (IAM on the queue): only
 * requests signed by one of `operators`, the stack's own principal, are served.
 */
export const deadLetterRoutes =
  (store: DeadLetterStore, operators: readonly Principal[]) =>
  async (request: ReadRequest, caller: Principal | undefined): Promise<EdgeResponse | undefined> => {
    if (request.path !== DEAD_LETTERS_PATH && request.path !== REDRIVE_PATH) return undefined;
    if (!caller || !operators.some((operator) => operator.arn === caller.arn)) {
      return json(403, {
        message:
          "Dead letters are the operator's: sign with the stack's credentials (DATA_DIR/service-credentials.json), as npm run dlq does",
      });
    }
    if (request.path === DEAD_LETTERS_PATH) {
      return request.method === "GET"
        ? json(200, { deadLetters: store.listDeadLetters() })
        : methodNotAllowed("GET");
    }
    return request.method === "POST" ? redriveFrom(store, request) : methodNotAllowed("POST");
  };

/** Where the running runtime's edge answers, and the operator's credentials to sign with. */
export interface RuntimeAccess {
  edgeUrl: string;
  operator: Principal;
}

/** A call to the runtime's dead-letter routes, signed as the operator; POSTs carry a JSON body. */
const callRuntime = async <T>(
  { edgeUrl, operator }: RuntimeAccess,
  path: string,
  json?: string,
): Promise<T> => {
  let response: Response;
  try {
    response = await signedFetch(
      operator,
      new URL(path, edgeUrl),
      json === undefined
        ? { method: "GET" }
        : { method: "POST", headers: { "content-type": "application/json" }, body: json },
      DEAD_LETTERS_SCOPE,
    );
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

const fetchDeadLetters = async (runtime: RuntimeAccess): Promise<DeadLetter[]> =>
  (await callRuntime<{ deadLetters: DeadLetter[] }>(runtime, DEAD_LETTERS_PATH)).deadLetters;

const requestRedrive = async (runtime: RuntimeAccess, ids?: string[]): Promise<DeadLetter[]> =>
  (await callRuntime<{ redriven: DeadLetter[] }>(runtime, REDRIVE_PATH, JSON.stringify({ ids }))).redriven;

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
export const runDeadLetterCommand = async (
  args: readonly string[],
  runtime: RuntimeAccess,
): Promise<string> => {
  const [command, ...ids] = args;
  if (command === "list" && ids.length === 0) {
    const deadLetters = await fetchDeadLetters(runtime);
    return deadLetters.length === 0 ? "No dead letters." : deadLetterTable(deadLetters);
  }
  if (command === "redrive") {
    const redriven = await requestRedrive(runtime, ids.length > 0 ? ids : undefined);
    return redriven.length === 0
      ? "No dead letters to redrive."
      : `Redriven ${redriven.length} dead letter(s); they are queued for delivery:\n${deadLetterTable(redriven)}`;
  }
  throw new DeadLetterUsageError(USAGE);
};
