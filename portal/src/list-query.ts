import { PAGE_SIZE } from "../../api/contract.ts";
import { REQUEST_STATUSES } from "../../events/request-status.ts";

export const DEFAULT_PAGE_SIZE = 20;

/** A list page's state as its query string carries it, so a filtered list is a link to share. */
export interface ListQuery {
  requester: string;
  status: string;
  pageSize: number;
}

/** Reads a list page's query string; what makes no sense falls back to no filter / the default size. */
export const listQueryFrom = (search: string): ListQuery => {
  const query = new URLSearchParams(search);
  const limit = Number(query.get("limit"));
  const status = query.get("status") ?? "";
  return {
    requester: query.get("requester")?.trim() ?? "",
    status: (REQUEST_STATUSES as readonly string[]).includes(status) ? status : "",
    pageSize: Number.isInteger(limit) && limit >= 1 && limit <= PAGE_SIZE.max ? limit : DEFAULT_PAGE_SIZE,
  };
};

/** The query string of a list page, leaving out empty filters and the default page size. */
export const listQueryString = ({ requester, status, pageSize }: ListQuery): string => {
  const query = new URLSearchParams();
  if (requester) query.set("requester", requester);
  if (status) query.set("status", status);
  if (pageSize !== DEFAULT_PAGE_SIZE) query.set("limit", String(pageSize));
  const text = query.toString();
  return text ? `?${text}` : "";
};
