import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { fieldErrorsOf } from "../events/validation.ts";
import {
  ApiError,
  ApiUnreachableError,
  createApiClient,
  fetchAllRequests,
  UnexpectedAnswerError,
} from "./client.ts";
import {
  getRequestRoute,
  healthRoute,
  listRequestsRoute,
  PAGE_SIZE,
  submitRequestRoute,
} from "./contract.ts";
import type { RequestView } from "./schemas.ts";

const BASE_URL = "http://api.test";

const view = (requestId: string, status: RequestView["status"]): RequestView => ({
  requestId,
  status,
  requester: { email: "ana@example.com" },
  submittedAt: "2025-06-01T12:00:00.000Z",
  updatedAt: "2025-06-01T12:01:00.000Z",
});

const VIEWS = [view("r3", "REJECTED"), view("r2", "PROVISIONED"), view("r1", "REJECTED")];

/** Serves fewer than asked for, as a server may: a whole listing takes several pages. */
const SERVED_PAGE_SIZE = 2;

/** The contract's routes served in process over a few requests, refusing input as the services do. */
const fakeApi = () => {
  const submitted: unknown[] = [];
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(
          { error: `${result.target} is invalid`, fieldErrors: fieldErrorsOf(result.error) },
          400,
        );
      }
    },
  });
  app.openapi(listRequestsRoute, (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const matching = VIEWS.filter((request) => status === undefined || request.status === status);
    const start = Number(cursor ?? 0);
    const end = start + Math.min(limit, SERVED_PAGE_SIZE);
    const nextCursor = end < matching.length ? String(end) : undefined;
    return c.json({ items: matching.slice(start, end), nextCursor }, 200);
  });
  app.openapi(getRequestRoute, (c) => {
    const { id } = c.req.valid("param");
    const found = VIEWS.find((request) => request.requestId === id);
    if (!found) return c.json({ error: `No request with id ${id}` }, 404);
    return c.json({ ...found, timeline: [] }, 200);
  });
  app.openapi(submitRequestRoute, (c) => {
    const detail = c.req.valid("json");
    submitted.push(detail);
    return c.json({ requestId: detail.requestId ?? "req_0001", status: "SUBMITTED" as const }, 202);
  });
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, mailbox: "http://localhost:8005" }, 200));

  const requested: string[] = [];
  const fetchInProcess: typeof fetch = async (input, init) => {
    requested.push(`${init?.method} ${String(input)}`);
    return app.request(input instanceof Request ? input : String(input), init);
  };
  return { api: createApiClient(BASE_URL, fetchInProcess), requested, submitted };
};

/** A client of a server that answers every request the same way. */
const clientAnswering = (answer: () => Response) => createApiClient(BASE_URL, async () => answer());

describe("the API client", () => {
  it("calls a route at its path, with its parameters, and reads the route's answer", async () => {
    const { api, requested } = fakeApi();

    const answer = await api.call(getRequestRoute, { params: { id: "r2" } });

    expect(requested).toEqual([`GET ${BASE_URL}/api/requests/r2`]);
    expect(answer).toEqual({ ...view("r2", "PROVISIONED"), timeline: [] });
  });

  it("escapes path parameters, and turns the refusal into an ApiError naming the field", async () => {
    const { api, requested } = fakeApi();

    const failure = api.call(getRequestRoute, { params: { id: "r1/timeline" } });

    await expect(failure).rejects.toMatchObject({
      name: "ApiError",
      status: 400,
      fieldErrors: [expect.objectContaining({ field: "id" })],
    });
    expect(requested).toEqual([`GET ${BASE_URL}/api/requests/r1%2Ftimeline`]);
  });

  it("puts the query values given in the URL, leaving out empty ones", async () => {
    const { api, requested } = fakeApi();

    const page = await api.call(listRequestsRoute, {
      query: { requester: "", status: "REJECTED", limit: 1, cursor: undefined },
    });

    expect(requested).toEqual([`GET ${BASE_URL}/api/requests?status=REJECTED&limit=1`]);
    expect(page).toEqual({ items: [view("r3", "REJECTED")], nextCursor: "1" });
  });

  it("sends a body as JSON and answers with what the route promises", async () => {
    const { api, requested, submitted } = fakeApi();
    const detail = {
      requestId: "walk-1",
      requester: { email: "ana@example.com" },
      resource: { type: "ec2" as const, instanceType: "t3.micro" as const, os: "ubuntu-24.04" as const },
      justification: "A build agent",
    };

    const answer = await api.call(submitRequestRoute, { body: detail });

    expect(answer).toEqual({ requestId: "walk-1", status: "SUBMITTED" });
    expect(requested).toEqual([`POST ${BASE_URL}/api/requests`]);
    expect(submitted).toEqual([detail]);
  });

  it("calls a route without input", async () => {
    const { api } = fakeApi();

    expect(await api.call(healthRoute, {})).toEqual({ status: "ok", mailbox: "http://localhost:8005" });
  });

  it("gives the API's message and status for a refusal without field errors", async () => {
    const { api } = fakeApi();

    const failure = api.call(getRequestRoute, { params: { id: "r9" } });

    await expect(failure).rejects.toThrow(new ApiError(404, "No request with id r9"));
    await expect(failure).rejects.toMatchObject({ status: 404, fieldErrors: [] });
  });

  it("names the status of a refusal that has no error body", async () => {
    const api = clientAnswering(() => new Response("<h1>Bad gateway</h1>", { status: 502 }));

    const failure = api.call(healthRoute, {});

    await expect(failure).rejects.toThrow(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 502, message: "The server answered 502" });
  });

  it("says that whatever answered is not the API when the answer breaks the route's schema", async () => {
    const api = clientAnswering(() => new Response("<!doctype html><p>Welcome</p>", { status: 200 }));

    const failure = api.call(listRequestsRoute, {});

    await expect(failure).rejects.toThrow(UnexpectedAnswerError);
    await expect(failure).rejects.toThrow(
      `${BASE_URL} did not answer like the requests API; is that its address?`,
    );
  });

  it("sends no Authorization header without an access token", async () => {
    const headersSent: Headers[] = [];
    const api = createApiClient(BASE_URL, async (_, init) => {
      headersSent.push(new Headers(init?.headers));
      return Response.json({ status: "ok" });
    });

    await api.call(healthRoute, {});

    expect(headersSent.map((headers) => headers.get("authorization"))).toEqual([null]);
  });

  it("sends a given access token as a bearer token, and asks a token source anew for each call", async () => {
    const headersSent: string[] = [];
    const answer: typeof fetch = async (_, init) => {
      headersSent.push(new Headers(init?.headers).get("authorization") ?? "none");
      return Response.json({ status: "ok" });
    };
    let renewals = 0;

    await createApiClient(BASE_URL, answer, "token-a").call(healthRoute, {});
    const renewing = createApiClient(BASE_URL, answer, async () => `renewed-${++renewals}`);
    await renewing.call(healthRoute, {});
    await renewing.call(healthRoute, {});

    expect(headersSent).toEqual(["Bearer token-a", "Bearer renewed-1", "Bearer renewed-2"]);
  });

  it("names the address it cannot reach", async () => {
    const api = createApiClient(BASE_URL, async () => {
      throw new TypeError("fetch failed");
    });

    const failure = api.call(healthRoute, {});

    await expect(failure).rejects.toThrow(ApiUnreachableError);
    await expect(failure).rejects.toThrow(`Cannot reach the requests API at ${BASE_URL}`);
  });
});

describe("fetchAllRequests", () => {
  it("follows the cursor to the last page, asking for the largest pages", async () => {
    const { api, requested } = fakeApi();

    const requests = await fetchAllRequests(api);

    expect(requests.map((request) => request.requestId)).toEqual(["r3", "r2", "r1"]);
    expect(requested).toEqual([
      `GET ${BASE_URL}/api/requests?limit=${PAGE_SIZE.max}`,
      `GET ${BASE_URL}/api/requests?limit=${PAGE_SIZE.max}&cursor=${SERVED_PAGE_SIZE}`,
    ]);
  });

  it("lists only the requests matching the filters, an empty filter filtering nothing", async () => {
    const { api } = fakeApi();

    const requests = await fetchAllRequests(api, { requester: "", status: "REJECTED" });

    expect(requests.map((request) => request.requestId)).toEqual(["r3", "r1"]);
  });

  it("says that the requests API refused, with the status and the API's reason", async () => {
    const { api } = fakeApi();

    const failure = fetchAllRequests(api, { status: "DONE" });

    await expect(failure).rejects.toThrow(ApiError);
    await expect(failure).rejects.toThrow(/^The requests API refused: 400 query is invalid$/);
    await expect(failure).rejects.toMatchObject({
      fieldErrors: [expect.objectContaining({ field: "status" })],
    });
  });
});
