import { ApiError, getRequest, type RequestWithTimeline, type ShownRequest } from "../api.ts";
import { h } from "../dom.ts";
import { eventLabel, humanTime, isFinalStatus, statusLabel, statusTone } from "../format.ts";

const REFRESH_MS = 2000;
/** A request the audit trail still has not recorded after this many looks does not exist. */
const UNKNOWN_AFTER_ATTEMPTS = 5;

export const statusBadge = (status: string) =>
  h("span", { class: `badge ${statusTone(status)}`.trim(), "data-status": status }, statusLabel(status));

const row = (term: string, value: string | number | undefined) =>
  value === undefined || value === "" ? [] : [h("dt", {}, term), h("dd", {}, String(value))];

const summaryOf = (view: ShownRequest) =>
  h(
    "dl",
    { class: "summary" },
    ...row("Request id", view.requestId),
    ...row(
      "Requester",
      view.requester?.name ? `${view.requester.name} <${view.requester.email}>` : view.requester?.email,
    ),
    ...row("Instance type", view.resource?.instanceType),
    ...row("OS", view.resource?.os),
    ...row("Instance name", view.resource?.name),
    ...row(
      "Volume",
      view.resource?.volume ? `${view.resource.volume.sizeGiB} GiB ${view.resource.volume.type}` : undefined,
    ),
    ...row("Requested private IP", view.resource?.privateIp),
    ...row("Subnet", view.resource?.subnetId),
    ...row("Justification", view.justification),
    ...row("Submitted", humanTime(view.submittedAt)),
    ...row("Approval link expires", humanTime(view.expiresAt)),
  );

const decisionOf = (view: ShownRequest) =>
  view.decision
    ? h(
        "section",
        { class: "card", "aria-labelledby": "decision-title" },
        h("h2", { id: "decision-title" }, "Decision"),
        h(
          "dl",
          { class: "summary" },
          ...row("Outcome", statusLabel(view.decision.outcome)),
          ...row("By", view.decision.approver ?? "policy"),
          ...row("Reason", view.decision.reason),
          ...row("When", humanTime(view.decision.decidedAt)),
        ),
      )
    : null;

const instanceOf = (view: ShownRequest) =>
  view.instanceId || view.failureReason
    ? h(
        "section",
        { class: "card", "aria-labelledby": "instance-title" },
        h("h2", { id: "instance-title" }, "Instance"),
        h(
          "dl",
          { class: "summary" },
          ...row("Instance id", view.instanceId),
          ...row("Private IP", view.privateIp),
          ...row("Failure", view.failureReason),
        ),
      )
    : null;

const fieldErrorsOf = (view: ShownRequest) =>
  view.fieldErrors?.length
    ? h(
        "section",
        { class: "card", "aria-labelledby": "invalid-title" },
        h("h2", { id: "invalid-title" }, "Why the request is invalid"),
        h(
          "ul",
          {},
          ...view.fieldErrors.map((error) =>
            h("li", {}, h("code", {}, error.field || "(request)"), ` ${error.message}`),
          ),
        ),
      )
    : null;

const timelineOf = (view: ShownRequest) =>
  h(
    "section",
    { class: "card", "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, "Timeline"),
    h(
      "ol",
      { class: "timeline" },
      ...(view.timeline ?? []).map((entry) =>
        h(
          "li",
          {},
          h("time", { datetime: entry.time }, humanTime(entry.time)),
          " — ",
          eventLabel(entry.type),
          h("span", { class: "muted" }, ` (${entry.source})`),
        ),
      ),
    ),
  );

/**
 * A request's page; it refreshes itself until the request reaches a final status. Straight after the
 * form, the page shows what was submitted and asks only after a pause: the audit trail records the
 * request a moment after intake accepts it, and asking earlier would only meet a 404.
 */
export const renderRequest = (
  main: HTMLElement,
  requestId: string,
  signal: AbortSignal,
  submitted?: ShownRequest,
) => {
  const live = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  main.replaceChildren(h("h1", {}, "Request ", h("code", {}, requestId)), live);

  const show = (view: ShownRequest) =>
    live.replaceChildren(
      h(
        "p",
        {},
        "Status: ",
        statusBadge(view.status),
        isFinalStatus(view.status) ? null : h("span", { class: "muted" }, " (updating)"),
      ),
      h("section", { class: "card", "aria-label": "The request as submitted" }, summaryOf(view)),
      ...[fieldErrorsOf(view), decisionOf(view), instanceOf(view)].filter((section) => section !== null),
      ...(view.timeline ? [timelineOf(view)] : []),
    );

  let unknownFor = 0;
  const refresh = async () => {
    if (signal.aborted) return;
    let view: RequestWithTimeline | undefined;
    try {
      view = await getRequest(requestId);
    } catch (error) {
      if (signal.aborted) return;
      const notRecordedYet = error instanceof ApiError && error.status === 404;
      // A link to an id nobody submitted, or one the API refuses, would otherwise be asked for forever.
      const refused =
        error instanceof ApiError && error.status >= 400 && error.status < 500 && !notRecordedYet;
      if (refused || (notRecordedYet && !submitted && ++unknownFor >= UNKNOWN_AFTER_ATTEMPTS)) {
        live.replaceChildren(h("p", { role: "alert" }, "There is no request with this id."));
        return;
      }
      // What was just submitted stays on screen while the audit trail catches up.
      if (!(notRecordedYet && submitted))
        live.replaceChildren(
          h(
            "p",
            { class: "muted" },
            notRecordedYet
              ? "Waiting for the request to be recorded…"
              : `Could not load the request: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      setTimeout(refresh, REFRESH_MS);
      return;
    }
    if (signal.aborted) return;
    show(view);
    if (!isFinalStatus(view.status)) setTimeout(refresh, REFRESH_MS);
  };

  if (submitted?.requestId === requestId) {
    show(submitted);
    setTimeout(refresh, REFRESH_MS);
  } else void refresh();
};
