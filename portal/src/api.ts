import type { RequestStatus } from "../../events/request-status.ts";
import type { FieldError } from "../../events/validation.ts";
import type { RequestPage, RequestView, RequestWithTimeline } from "../../services/audit/domain.ts";

export type { RequestPage, RequestView, RequestWithTimeline };

/** A request the request page can show: the audit API's view, or what the form has just submitted. */
export type ShownRequest = Pick<RequestView, "requestId" | "status"> & Partial<RequestWithTimeline>;

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
  }
}

const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const response = await fetch(path, { ...init, headers: { accept: "application/json", ...init?.headers } });
  const body = (await response.json().catch(() => ({}))) as { error?: string; fieldErrors?: FieldError[] };
  if (!response.ok)
    throw new ApiError(
      response.status,
      body.error ?? `The server answered ${response.status}`,
      body.fieldErrors,
    );
  return body as T;
};

export const submitRequest = (detail: unknown) =>
  call<{ requestId: string; status: RequestStatus }>("/api/requests", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(detail),
  });

export const getRequest = (requestId: string) =>
  call<RequestWithTimeline>(`/api/requests/${encodeURIComponent(requestId)}`);

export interface ListFilters {
  requester?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export const listRequests = (filters: ListFilters) => {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== undefined && value !== "") query.set(key, String(value));
  return call<RequestPage>(`/api/requests?${query}`);
};

/** Local mode's health answer names the mailbox; on AWS there is none. */
export const getHealth = () => call<{ status: string; mailbox?: string }>("/api/health");
