import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { type Dashboard, type DashboardQuery, dashboardRoute } from "../../../api/dashboard.ts";
import { dollarsInWords } from "../../../api/request-words.ts";
import { admits, api } from "../api.ts";
import { defaultRange, percentileInWords, rateInWords } from "../dashboard.ts";
import { h } from "../dom.ts";
import { statusLabel } from "../format.ts";
import type { SignedInUser } from "../sign-in.ts";

// Only the parts the charts use, so the bundle carries no more of Chart.js. It draws on a canvas and
// sets sizes through the DOM, never with inline style markup, which the portal's CSP refuses.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

/** Colours a chart's series cycle through, dark enough on white for their lines and bars. */
const PALETTE = ["#1f5fa8", "#b3261e", "#2e7d32", "#8a5a00", "#6a3fa0", "#00796b", "#5d4037", "#c2185b"];

type Row = (string | number)[];

/** The numbers a chart draws, as a table a screen reader (and a test) reads. */
const tableOf = (caption: string, columns: string[], rows: Row[]) =>
  h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col" }, column)))),
      h(
        "tbody",
        {},
        ...rows.map(([first, ...rest]) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", "data-label": columns[0] }, first),
            ...rest.map((cell, index) => h("td", { "data-label": columns[index + 1] }, cell)),
          ),
        ),
      ),
    ),
  );

/** A figure of the page, and how to draw its chart once it is in the page (Chart.js sizes by its box). */
interface Figure {
  element: HTMLElement;
  draw?: () => Chart;
}

/**
 * One chart with its table beside it. The canvas is an image to assistive technology, pointing to the
 * table, which says in full what it draws.
 */
const figureOf = (id: string, title: string, table: HTMLElement, chart?: ChartConfiguration): Figure => {
  const canvas =
    chart && h("canvas", { role: "img", "aria-label": `${title}: the table beside it has the numbers` });
  const element = h(
    "section",
    { class: "card chart", "aria-labelledby": `${id}-title`, id },
    h("h2", { id: `${id}-title` }, title),
    h("div", { class: "chart-pair" }, canvas && h("div", { class: "chart-box" }, canvas), table),
  );
  if (!canvas || !chart) return { element };
  return {
    element,
    draw: () => new Chart(canvas, { ...chart, options: { maintainAspectRatio: false, ...chart.options } }),
  };
};

const colour = (index: number) => PALETTE[index % PALETTE.length] as string;

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

const barsOf = (label: string, labels: string[], data: number[]): ChartConfiguration => ({
  type: "bar",
  data: { labels, datasets: [{ label, data, backgroundColor: colour(0) }] },
  options: { indexAxis: "y", plugins: { legend: { display: false } } },
});

const nothing = (what: string) => h("p", { class: "muted" }, what);

/** The estimated monthly cost of what was provisioned in the range, broken down `by` something. */
const costFigure = (id: string, by: string, totals: { name: string; monthlyUsd: number }[]): Figure =>
  figureOf(
    id,
    `Estimated monthly cost by ${by.toLowerCase()}`,
    totals.length === 0
      ? nothing("Nothing with an estimate was provisioned in these days.")
      : tableOf(
          "Of the resources provisioned in the range, a month",
          [by, "Monthly cost"],
          totals.map(({ name, monthlyUsd }) => [name, dollarsInWords(monthlyUsd)]),
        ),
    totals.length === 0
      ? undefined
      : barsOf(
          "USD a month",
          totals.map(({ name }) => name),
          totals.map(({ monthlyUsd }) => monthlyUsd),
        ),
  );

/** The dashboard's figures, in the order the page shows them. */
const figuresOf = (dashboard: Dashboard): Figure[] => {
  const { days, requestsByStatus, timeToDecision, pendingByApprover, provisioning } = dashboard;
  const statuses = requestsByStatus.map(({ status, counts }) => ({ label: statusLabel(status), counts }));
  return [
    figureOf(
      "by-status",
      "Requests by status",
      statuses.length === 0
        ? nothing("No request reached any status in these days.")
        : tableOf(
            "Requests that reached each status in the range",
            ["Status", "Requests"],
            statuses.map(({ label, counts }) => [label, sum(counts)]),
          ),
      statuses.length === 0
        ? undefined
        : {
            type: "bar",
            data: {
              labels: days,
              // The legend counts each status over the range.
              datasets: statuses.map(({ label, counts }, index) => ({
                label: `${label} (${sum(counts)})`,
                data: counts,
                backgroundColor: colour(index),
              })),
            },
            options: { scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } },
          },
    ),
    figureOf(
      "time-to-decision",
      "Time to decision",
      tableOf(
        `From submission to a person's decision: ${timeToDecision.decisions} decisions`,
        ["Percentile", "Time"],
        [
          ["p50", percentileInWords(timeToDecision.p50Minutes, timeToDecision.decisions)],
          ["p90", percentileInWords(timeToDecision.p90Minutes, timeToDecision.decisions)],
        ],
      ),
      timeToDecision.decisions === 0
        ? undefined
        : {
            type: "line",
            data: {
              labels: days,
              datasets: (["p50Minutes", "p90Minutes"] as const).map((key, index) => ({
                label: `${key.slice(0, 3)} (minutes, at most)`,
                data: timeToDecision.daily.map((day) => day[key]),
                borderColor: colour(index),
                backgroundColor: colour(index),
                spanGaps: true,
              })),
            },
          },
    ),
    figureOf(
      "pending",
      "Pending approvals by approver",
      pendingByApprover.length === 0
        ? nothing("No request is pending approval.")
        : tableOf(
            "Requests pending approval now",
            ["Approver", "Pending"],
            pendingByApprover.map(({ approver, pending }) => [approver, pending]),
          ),
      pendingByApprover.length === 0
        ? undefined
        : barsOf(
            "Pending",
            pendingByApprover.map(({ approver }) => approver),
            pendingByApprover.map(({ pending }) => pending),
          ),
    ),
    figureOf(
      "provisioning",
      "Provisioning",
      tableOf(
        "Provisioning that ended in the range",
        ["Outcome", "Requests"],
        [
          ["Succeeded", provisioning.succeeded],
          ["Failed", provisioning.failed],
          ["Success rate", rateInWords(provisioning.successRate)],
        ],
      ),
      provisioning.succeeded + provisioning.failed === 0
        ? undefined
        : barsOf("Requests", ["Succeeded", "Failed"], [provisioning.succeeded, provisioning.failed]),
    ),
    costFigure(
      "cost-by-requester",
      "Requester",
      dashboard.costByRequester.map(({ requester, monthlyUsd }) => ({ name: requester, monthlyUsd })),
    ),
    costFigure(
      "cost-by-type",
      "Resource type",
      dashboard.costByResourceType.map(({ resourceType, monthlyUsd }) => ({
        name: resourceType,
        monthlyUsd,
      })),
    ),
  ];
};

/** The operators' dashboard: a range of days (the last 30 at first) and a chart and table per figure. */
export const renderDashboard = (main: HTMLElement, user: SignedInUser, signal: AbortSignal) => {
  if (!admits(dashboardRoute, user)) {
    main.replaceChildren(
      h("h1", {}, "Operators' dashboard"),
      h("p", { role: "alert" }, "The dashboard is for operators."),
    );
    return;
  }
  const initial = defaultRange(new Date());
  const from = h("input", { id: "dashboard-from", type: "date", value: initial.from, required: true });
  const to = h("input", { id: "dashboard-to", type: "date", value: initial.to, required: true });
  const results = h("div", { "aria-live": "polite" });
  let charts: Chart[] = [];
  const clearCharts = () => {
    for (const chart of charts) chart.destroy();
    charts = [];
  };
  signal.addEventListener("abort", clearCharts);

  const load = async (range: DashboardQuery) => {
    results.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const dashboard = await api.call(dashboardRoute, { query: range });
      if (signal.aborted) return;
      clearCharts();
      const figures = figuresOf(dashboard);
      results.replaceChildren(h("div", { class: "dashboard" }, ...figures.map(({ element }) => element)));
      charts = figures.flatMap(({ draw }) => (draw ? [draw()] : []));
    } catch (error) {
      results.replaceChildren(
        h("p", { class: "error", role: "alert" }, error instanceof Error ? error.message : String(error)),
      );
    }
  };

  main.replaceChildren(
    h("h1", {}, "Operators' dashboard"),
    h(
      "form",
      {
        class: "card filters",
        "aria-label": "Range of days",
        onsubmit: (event: Event) => {
          event.preventDefault();
          void load({ from: from.value, to: to.value });
        },
      },
      h("div", { class: "field" }, h("label", { for: "dashboard-from" }, "From (UTC)"), from),
      h("div", { class: "field" }, h("label", { for: "dashboard-to" }, "To (UTC)"), to),
      h("p", {}, h("button", { type: "submit" }, "Show")),
    ),
    results,
  );
  void load(initial);
};
