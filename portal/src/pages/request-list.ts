import { fetchAllRequests } from "../../../api/client.ts";
import { listRequestsRoute } from "../../../api/contract.ts";
import { requestsToCsv } from "../../../api/csv.ts";
import { dollarsInWords, resourceInWords } from "../../../api/request-words.ts";
import type { RequestView } from "../../../api/schemas.ts";
import { REQUEST_STATUSES } from "../../../events/request-status.ts";
import { api } from "../api.ts";
import { h } from "../dom.ts";
import { humanTime, statusLabel } from "../format.ts";
import { leaseEndInWords } from "../lease.ts";
import { listQueryFrom, listQueryString } from "../list-query.ts";
import type { SignedInUser } from "../sign-in.ts";
import { requestPageLink, statusBadge } from "./request.ts";

const COLUMNS = [
  "Request",
  "Status",
  "Requester",
  "Resource",
  "Region",
  "Monthly cost",
  "Lease ends",
  "Submitted",
] as const;

interface ListOptions {
  title: string;
  /** "My requests" fixes the requester to the signed-in user; "All requests" lets them filter. */
  mine: boolean;
  user: SignedInUser;
}

const tableOf = (items: RequestView[]) =>
  items.length === 0
    ? h("p", { class: "muted" }, "No requests match.")
    : h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ...COLUMNS.map((title) => h("th", { scope: "col" }, title)))),
          h(
            "tbody",
            {},
            ...items.map((item) => {
              const cells: Record<(typeof COLUMNS)[number], Node | string> = {
                Request: requestPageLink(item.requestId),
                Status: statusBadge(item.status),
                Requester: item.requester?.email ?? "",
                Resource: item.resource ? resourceInWords(item.resource) : "",
                Region: item.region ?? "",
                // The estimate when accepted: "unknown" when a price was, never $0.
                "Monthly cost":
                  item.estimatedMonthlyCostUsd === undefined
                    ? ""
                    : item.estimatedMonthlyCostUsd === null
                      ? "unknown"
                      : dollarsInWords(item.estimatedMonthlyCostUsd),
                "Lease ends": leaseEndInWords(item.leaseEndsAt),
                Submitted: humanTime(item.submittedAt),
              };
              // data-label names each cell where a narrow screen stacks the row into a card.
              return h(
                "tr",
                {},
                ...COLUMNS.map((column) => h("td", { "data-label": column }, cells[column])),
              );
            }),
          ),
        ),
      );

const download = (fileName: string, content: string) => {
  const url = URL.createObjectURL(new Blob([content], { type: "text/csv;charset=utf-8" }));
  const link = h("a", { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
};

/** A filtered, paginated list of requests, newest first. */
export const renderRequestList = (main: HTMLElement, { title, mine, user }: ListOptions) => {
  // The filters live in the query string too, so a filtered list is a link an operator can share.
  const initial = listQueryFrom(window.location.search);
  const requester = h("input", {
    id: "filter-requester",
    type: "email",
    value: mine ? user.email : initial.requester,
    readonly: mine,
    autocomplete: "email",
  });
  const status = h(
    "select",
    { id: "filter-status" },
    h("option", { value: "" }, "Any status"),
    ...REQUEST_STATUSES.map((value) =>
      h("option", { value, selected: value === initial.status }, statusLabel(value)),
    ),
  );
  const results = h("div", { "aria-live": "polite" });
  const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary" }, "Next page");
  const pageInfo = h("span", { class: "muted" });
  // Cursors of the pages already seen, so "Previous" can go back without server support.
  const cursors: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let nextCursor: string | undefined;

  // Empty filters are left out of the API's query string.
  const filters = () => ({ requester: requester.value.trim(), status: status.value });

  const load = async () => {
    results.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const page = await api.call(listRequestsRoute, {
        query: { ...filters(), limit: initial.pageSize, cursor: cursors[pageIndex] },
      });
      nextCursor = page.nextCursor;
      results.replaceChildren(tableOf(page.items));
      previous.disabled = pageIndex === 0;
      next.disabled = !nextCursor;
      pageInfo.textContent = `Page ${pageIndex + 1}`;
    } catch (error) {
      results.replaceChildren(
        h("p", { class: "error", role: "alert" }, error instanceof Error ? error.message : String(error)),
      );
    }
  };

  const restart = () => {
    cursors.length = 1;
    pageIndex = 0;
    const query = listQueryString({ ...filters(), pageSize: initial.pageSize });
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query}`);
    void load();
  };

  previous.addEventListener("click", () => {
    pageIndex = Math.max(0, pageIndex - 1);
    void load();
  });
  next.addEventListener("click", () => {
    if (!nextCursor) return;
    cursors[pageIndex + 1] = nextCursor;
    pageIndex += 1;
    void load();
  });

  const downloadButton = h("button", { type: "button", class: "secondary" }, "Download CSV");
  downloadButton.addEventListener("click", async () => {
    downloadButton.disabled = true;
    try {
      download("requests.csv", requestsToCsv(await fetchAllRequests(api, filters())));
    } finally {
      downloadButton.disabled = false;
    }
  });

  main.replaceChildren(
    h("h1", {}, title),
    h(
      "form",
      {
        class: "card filters",
        role: "search",
        onsubmit: (event: Event) => {
          event.preventDefault();
          restart();
        },
      },
      h(
        "div",
        { class: "field" },
        h("label", { for: "filter-requester" }, mine ? "Your email" : "Requester"),
        requester,
      ),
      h("div", { class: "field" }, h("label", { for: "filter-status" }, "Status"), status),
      h(
        "p",
        {},
        h("button", { type: "submit" }, mine ? "Show my requests" : "Apply filters"),
        " ",
        // The API lets operators read every request; the export is theirs.
        !mine && user.groups.includes("operators") ? downloadButton : null,
      ),
    ),
    results,
    h("nav", { class: "pager", "aria-label": "Pages" }, previous, " ", pageInfo, " ", next),
  );
  status.addEventListener("change", restart);
  void load();
};
