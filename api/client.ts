import { type RouteConfig, z } from "@hono/zod-openapi";
import type { FieldError } from "../events/validation.ts";
import { listRequestsRoute, PAGE_SIZE } from "./contract.ts";
import { errorBodySchema, type RequestView } from "./schemas.ts";

/**
 * Calls the API's routes by their definitions in `contract.ts`, over fetch alone, so the requests CLI
 * (Node.js) and the portal (a browser) call it with the same code.
 */

export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
}

/** The API refused: its status, its message and, for refused input, each field's problem. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Something answered, but not as the route promises: most likely not this API at all. */
export class UnexpectedAnswerError extends Error {
  override readonly name = "UnexpectedAnswerError";
}

type JsonSchemaOf<Answer> = Answer extends {
  content: { "application/json": { schema: infer Schema extends z.ZodType } };
}
  ? Schema
  : never;

type SuccessStatus = 200 | 201 | 202;

/** What a route answers when it succeeds, as its response schema reads it. */
export type SuccessBody<R extends RouteConfig> = z.output<
  JsonSchemaOf<R["responses"][SuccessStatus & keyof R["responses"]]>
>;

/** Query values as a caller has them; empty and absent ones are left out of the URL. */
type QueryValues<Schema extends z.ZodType> = { [K in keyof z.input<Schema>]?: string | number };

/** What calling a route takes: its path parameters, its query and its JSON body, each if it has one. */
export type RouteInput<R extends RouteConfig> = (R["request"] extends {
  params: infer Params extends z.ZodType;
}
  ? { params: z.input<Params> }
  : unknown) &
  (R["request"] extends { query: infer Query extends z.ZodType } ? { query?: QueryValues<Query> } : unknown) &
  (R["request"] extends {
    body: { content: { "application/json": { schema: infer Body extends z.ZodType } } };
  }
    ? { body: z.input<Body> }
    : unknown);

interface RequestParts {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

const urlOf = (baseUrl: string, route: RouteConfig, { params = {}, query = {} }: RequestParts): URL => {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String(params[name])),
  );
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}${path}`);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
};

const successSchemaOf = (route: RouteConfig, status: number): z.ZodType | undefined => {
  const answer = route.responses[status];
  const media = answer && "content" in answer ? answer.content?.["application/json"] : undefined;
  const schema = media && "schema" in media ? media.schema : undefined;
  return schema instanceof z.ZodType ? schema : undefined;
};

/** The caller's OIDC access token, or how to get a current one (a browser's session renews it). */
export type AccessTokenSource = string | (() => string | Promise<string>);

/**
 * A client of the API at `baseUrl`, e.g. `http://localhost:3000` (where `/api/...` lives). `fetch`
 * may be replaced, e.g. by an in-process app's `request`. With an `accessToken`, every call is made
 * as its user (`Authorization: Bearer`), the token being asked for anew at each call.
 */
export const createApiClient = (
  baseUrl: string,
  fetchAnswer: typeof fetch = fetch,
  accessToken?: AccessTokenSource,
) => {
  const call = async <R extends RouteConfig>(route: R, input: RouteInput<R>): Promise<SuccessBody<R>> => {
    const parts = input as RequestParts;
    const url = urlOf(baseUrl, route, parts);
    const token = typeof accessToken === "function" ? await accessToken() : accessToken;
    let response: Response;
    try {
      response = await fetchAnswer(url, {
        method: route.method.toUpperCase(),
        headers: {
          accept: "application/json",
          ...(parts.body !== undefined && { "content-type": "application/json" }),
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
        },
        body: parts.body === undefined ? undefined : JSON.stringify(parts.body),
      });
    } catch (cause) {
      throw new ApiUnreachableError(`Cannot reach the requests API at ${baseUrl}`, { cause });
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const refusal = errorBodySchema.safeParse(body).data;
      throw new ApiError(
        response.status,
        refusal?.error ?? `The server answered ${response.status}`,
        refusal?.fieldErrors,
      );
    }
    const answer = successSchemaOf(route, response.status)?.safeParse(body);
    if (!answer?.success) {
      throw new UnexpectedAnswerError(
        `${url.origin} did not answer like the requests API; is that its address?`,
        { cause: answer?.error },
      );
    }
    return answer.data as SuccessBody<R>;
  };
  return { call };
};

export type ApiClient = ReturnType<typeof createApiClient>;

/** Empty filters filter nothing, as a form with an unset field sends them. */
export interface RequestFilters {
  requester?: string;
  status?: string;
}

/** Every request matching the filters, newest first, following the cursor to the last page. */
export const fetchAllRequests = async (
  client: ApiClient,
  filters: RequestFilters = {},
): Promise<RequestView[]> => {
  const requests: RequestView[] = [];
  let cursor: string | undefined;
  do {
    // The largest page: the fewest round trips when everything is wanted.
    const query = { ...filters, limit: PAGE_SIZE.max, cursor };
    const page = await client.call(listRequestsRoute, { query }).catch((error: unknown) => {
      // Whoever reads this is far from the API: name it, and the status it refused with.
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(
        error.status,
        `The requests API refused: ${error.status} ${error.message}`,
        error.fieldErrors,
        { cause: error },
      );
    });
    requests.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return requests;
};
