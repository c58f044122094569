import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE, listQueryFrom, listQueryString } from "./list-query.ts";

describe("a list page's query string", () => {
  it("carries the requester, status and page size", () => {
    expect(listQueryFrom("?requester=ana%40example.com&status=REJECTED&limit=5")).toEqual({
      requester: "ana@example.com",
      status: "REJECTED",
      pageSize: 5,
    });
  });

  it.each(["", "?limit=0", "?limit=101", "?limit=2.5", "?limit=ten"])(
    "falls back to the default page size for %j",
    (search) => {
      expect(listQueryFrom(search).pageSize).toBe(DEFAULT_PAGE_SIZE);
    },
  );

  it("ignores a status that does not exist", () => {
    expect(listQueryFrom("?status=DONE").status).toBe("");
  });

  it("is written back without empty filters or the default size, and reads back the same", () => {
    const query = { requester: "ana@example.com", status: "", pageSize: DEFAULT_PAGE_SIZE };
    expect(listQueryString(query)).toBe("?requester=ana%40example.com");
    expect(listQueryString({ requester: "", status: "", pageSize: DEFAULT_PAGE_SIZE })).toBe("");
    const paged = { requester: "", status: "PENDING_APPROVAL", pageSize: 2 };
    expect(listQueryFrom(listQueryString(paged))).toEqual(paged);
  });
});
