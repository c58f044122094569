import type { FieldError } from "../../events/validation.ts";

export interface TimelineEntry {
  eventId: string;
  type: string;
  time: string;
  source: string;
  detail: Record<string, unknown>;
}

export interface RequestView {
  requestId: string;
  status: string;
  requester?: { email: string; name?: string };
  resource?: {
    type: string;
    instanceType?: string;
    os?: string;
    name?: string;
    volume?: { sizeGiB: number; type: string };
    privateIp?: string;
    subnetId?: string;
  };
  justification?: string;
  submittedAt?: string;
  updatedAt?: string;
  decision?: { outcome: string; approver?: string; reason?: string; decidedAt?: string };
  instanceId?: string;
  privateIp?: string;
  fieldErrors?: FieldError[];
  failureReason?: string;
  expiresAt?: string;
  timeline?: TimelineEntry[];
}

export interface RequestPage {
  items: RequestView[];
  nextCursor?: string;
}

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
  call<{ requestId: string; status: string }>("/api/requests", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(detail),
  });

export const getRequest = (requestId: string) =>
  call<RequestView>(`/api/requests/${encodeURIComponent(requestId)}`);

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

/** Every request matching the filters, following pagination to the end. */
export const listAllRequests = async (
  filters: Omit<ListFilters, "cursor" | "limit">,
): Promise<RequestView[]> => {
  const items: RequestView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listRequests({ ...filters, limit: 100, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
};

/** Local mode's health answer names the mailbox; on AWS there is none. */
export const getHealth = () => call<{ status: string; mailbox?: string }>("/api/health");
