import { z } from "zod";
import type { RequestPage, RequestView } from "./domain.ts";
import { PAGE_SIZE } from "./page-size.ts";

/**
 * Reads the audit API over fetch alone, so the requests CLI (Node.js) and the portal (a browser) list
 * requests with the same code.
 */

export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
}

export class ApiError extends Error {
  override readonly name = "ApiError";
}

/** Empty filters filter nothing, as a form with an unset field sends them. */
export interface RequestFilters {
  requester?: string;
  status?: string;
}

const pageSchema = z.object({
  items: z.array(z.custom<RequestView>((item) => typeof item === "object" && item !== null)),
  nextCursor: z.string().optional(),
}) satisfies z.ZodType<RequestPage>;

const errorBodySchema = z.object({ error: z.string() });

const fetchPage = async (url: URL, apiUrl: string): Promise<RequestPage> => {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new ApiUnreachableError(`Cannot reach the requests API at ${apiUrl}`, { cause });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const reason = errorBodySchema.safeParse(body).data?.error ?? response.statusText;
    throw new ApiError(`The requests API refused: ${response.status} ${reason}`);
  }
  const page = pageSchema.safeParse(body);
  if (!page.success) {
    throw new ApiError(`${url.origin} did not answer like the requests API; is that its address?`, {
      cause: page.error,
    });
  }
  return page.data;
};

/**
 * Every request matching the filters, newest first, following the cursor to the last page.
 * `apiUrl` is where the API's `/api/requests` lives, e.g. `http://localhost:3000`.
 */
export const fetchAllRequests = async (
  apiUrl: string,
  filters: RequestFilters = {},
): Promise<RequestView[]> => {
  const requests: RequestView[] = [];
  let cursor: string | undefined;
  do {
    const url = new URL(`${apiUrl.replace(/\/+$/, "")}/api/requests`);
    // The largest page: the fewest round trips when everything is wanted.
    url.searchParams.set("limit", String(PAGE_SIZE.max));
    if (filters.requester) url.searchParams.set("requester", filters.requester);
    if (filters.status) url.searchParams.set("status", filters.status);
    if (cursor) url.searchParams.set("cursor", cursor);
    const page = await fetchPage(url, apiUrl);
    requests.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return requests;
};
