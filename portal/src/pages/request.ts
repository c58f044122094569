import { getRequestRoute } from "../../../api/contract.ts";
import { resourceDetailRows, resourceInWords } from "../../../api/request-words.ts";
import type { Approval, ApprovalStage } from "../../../api/schemas.ts";
import { api, type ShownRequest } from "../api.ts";
import {
  notAnsweredIn,
  outcomeInWords,
  personInWords,
  quorumInWords,
  stageStateLabel,
  stageStateTone,
  stageTitle,
} from "../approval.ts";
import { h } from "../dom.ts";
import { estimateView } from "../estimate.ts";
import { eventLabel, humanTime, isFinalStatus, publisherLabel, statusLabel, statusTone } from "../format.ts";
import {
  type Clock,
  costSoFarInWords,
  extensionInWords,
  leaseActionIn,
  leaseInWords,
  releaseInWords,
} from "../lease.ts";
import { leaseActionsPanel } from "../lease-actions.ts";
import { type LookupAnswer, nextLookupStep, REFRESH_MS } from "../request-lookup.ts";
import type { SignedInUser } from "../sign-in.ts";
import { mayOfferWithdrawal, withdrawPanel } from "../withdraw.ts";

/** Where a request's page is: the form goes there, and every list and decision links to it. */
export const requestPagePath = (requestId: string) => `/requests/${encodeURIComponent(requestId)}`;

export const requestPageLink = (requestId: string, text = requestId) =>
  h("a", { href: requestPagePath(requestId), "data-nav": true }, text);

export const statusBadge = (status: string) =>
  h("span", { class: `badge ${statusTone(status)}`.trim(), "data-status": status }, statusLabel(status));

const row = (term: string, value: string | number | undefined) =>
  value === undefined || value === "" ? [] : [h("dt", {}, term), h("dd", {}, String(value))];

/** What a request asked for: its page shows it, and the decision page shows an emailed link's request. */
export const summaryOf = (
  view: Pick<
    ShownRequest,
    "requestId" | "requester" | "resource" | "region" | "justification" | "submittedAt" | "expiresAt"
  >,
) =>
  h(
    "dl",
    { class: "summary" },
    ...row("Request id", view.requestId),
    ...row(
      "Requester",
      view.requester?.name ? `${view.requester.name} <${view.requester.email}>` : view.requester?.email,
    ),
    ...row("Resource", view.resource && resourceInWords(view.resource)),
    ...(view.resource ? resourceDetailRows(view.resource) : []).flatMap(({ label, value }) =>
      row(label, value),
    ),
    ...row("Region", view.region),
    ...row("Justification", view.justification),
    ...row("Submitted", humanTime(view.submittedAt)),
    ...row("Approval link expires", humanTime(view.expiresAt)),
  );

/** What the request was expected to cost when accepted; requests accepted before estimates have none. */
const estimateOf = ({ estimatedMonthlyCostUsd, costEstimate }: ShownRequest) =>
  estimatedMonthlyCostUsd !== undefined && costEstimate
    ? h(
        "section",
        { class: "card", "aria-labelledby": "estimate-title" },
        h("h2", { id: "estimate-title" }, "Estimated cost"),
        estimateView(estimatedMonthlyCostUsd, costEstimate),
      )
    : null;

/** A policy decides as `policy:<name>`; nobody named is a refusal before any approver was asked. */
const deciderInWords = (approver: string | undefined) =>
  approver === undefined
    ? "policy"
    : approver.startsWith("policy:")
      ? `policy ${approver.slice(7)}`
      : approver;

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
          ...row("By", deciderInWords(view.decision.approver)),
          ...row("Reason", view.decision.reason),
          ...row("When", humanTime(view.decision.decidedAt)),
        ),
      )
    : null;

/** "a (28 Nov 2026, 10:04:05), b (…)": people with the time each did what the list is about. */
const peopleAt = (people: { email: string; onBehalfOf?: string | undefined; at: string }[]) =>
  people.map((person) => `${personInWords(person)} (${humanTime(person.at)})`).join(", ");

const stageOf = (stage: ApprovalStage, stageCount: number) => {
  const titleId = `approval-stage-${stage.index}`;
  const waitingOn = stage.state === "active" ? notAnsweredIn(stage) : [];
  return h(
    "li",
    { "aria-labelledby": titleId, "data-stage": stage.index, "data-state": stage.state },
    h(
      "h3",
      { id: titleId },
      `${stageTitle(stage, stageCount)} `,
      h("span", { class: `badge ${stageStateTone(stage.state)}`.trim() }, stageStateLabel(stage.state)),
    ),
    h(
      "dl",
      { class: "summary" },
      ...row(
        "Quorum",
        `${quorumInWords(stage)}${stage.asked.length > 0 ? ` (${stage.asked.length} asked)` : ""}`,
      ),
      ...row(
        "Asked",
        stage.asked.length > 0
          ? peopleAt(
              stage.asked.map(({ askedAt, escalated, ...person }) => ({
                ...person,
                ...(escalated && { email: `${person.email}, by escalation` }),
                at: askedAt,
              })),
            )
          : undefined,
      ),
      ...row(
        "Reminded",
        stage.reminded?.length
          ? stage.reminded
              .map(
                ({ email, times, lastAt }) =>
                  `${email} (${times === 1 ? "once" : `${times} times`}, last ${humanTime(lastAt)})`,
              )
              .join(", ")
          : undefined,
      ),
      ...row("Approved by", stage.approvedBy.length > 0 ? peopleAt(stage.approvedBy) : undefined),
      ...row(
        "Rejected by",
        stage.rejectedBy
          ? `${peopleAt([stage.rejectedBy])}${stage.rejectedBy.reason ? `: ${stage.rejectedBy.reason}` : ""}`
          : undefined,
      ),
      ...row("Not answered yet", waitingOn.length > 0 ? waitingOn.map(personInWords).join(", ") : undefined),
    ),
  );
};

/** How the approval policy decides the request: the policy, why it matched, each stage, who is still needed. */
const approvalOf = ({ approval }: { approval?: Approval | undefined }) =>
  approval
    ? h(
        "section",
        { class: "card", "aria-labelledby": "approval-title" },
        h("h2", { id: "approval-title" }, "Approval"),
        approval.waitingFor ? h("p", { class: "waiting-for" }, h("strong", {}, approval.waitingFor)) : null,
        h(
          "p",
          {},
          "Policy ",
          h("strong", {}, approval.policy.name),
          ` ${outcomeInWords(approval)}. `,
          h("span", { class: "muted" }, `(version ${approval.policy.hash})`),
        ),
        approval.policy.why.length > 0
          ? h(
              "details",
              {},
              h("summary", {}, "Why this policy"),
              h("ul", {}, ...approval.policy.why.map((reason) => h("li", {}, reason))),
            )
          : null,
        approval.stages.length > 0
          ? h(
              "ol",
              { class: "stages", "aria-label": "Stages" },
              ...approval.stages.map((stage) => stageOf(stage, approval.stages.length)),
            )
          : null,
      )
    : null;

const PROVISIONED_TITLES = { ec2: "Instance", rds: "Database", s3: "Bucket" } as const;

/** The provisioned resource as the requester uses it, per type, or why it could not be created. */
const provisionedOf = (view: ShownRequest) => {
  const type = view.resource?.type ?? "ec2";
  const facts = {
    ec2: [...row("Instance id", view.instanceId), ...row("Private IP", view.privateIp)],
    rds: [
      ...row("DB instance", view.database?.identifier ?? view.dbInstanceIdentifier),
      ...row("Endpoint", view.database && `${view.database.host}:${view.database.port}`),
      ...row("Database name", view.database?.databaseName),
      // The password itself never leaves Secrets Manager: the page names where to read it.
      ...row("Master user secret", view.database?.masterUserSecretArn),
    ],
    s3: [
      ...row("Bucket", view.bucket?.name),
      ...row("ARN", view.bucket?.arn),
      ...row("Region", view.bucket?.region),
    ],
  }[type];
  if (facts.length === 0 && !view.failureReason) return null;
  return h(
    "section",
    { class: "card", "aria-labelledby": "provisioned-title" },
    h("h2", { id: "provisioned-title" }, PROVISIONED_TITLES[type]),
    h("dl", { class: "summary" }, ...facts, ...row("Failure", view.failureReason)),
  );
};

/**
 * The lease: when it ends and what happens then, what the resource has cost so far, each extension
 * and the release; absent on requests from before leases.
 */
const leaseOf = (view: ShownRequest, clock: Clock) => {
  const { lease, costSoFar } = view;
  if (!lease) return null;
  const release = lease.release && releaseInWords(lease.release, clock);
  return h(
    "section",
    { class: "card", "aria-labelledby": "lease-title" },
    h("h2", { id: "lease-title" }, "Lease"),
    h(
      "dl",
      { class: "summary" },
      ...row("Lease", leaseInWords(lease, clock)),
      ...row("Started", humanTime(lease.startedAt)),
      ...row("Released", release?.why),
      ...row("Outcome", release?.outcome),
    ),
    costSoFar
      ? h("p", { class: "cost-so-far" }, costSoFarInWords(costSoFar, lease.release?.outcome !== undefined))
      : null,
    lease.extensions.length > 0
      ? h(
          "ul",
          { class: "extensions", "aria-label": "Extensions" },
          ...lease.extensions.map((extension) =>
            h(
              "li",
              { "data-extension": extension.n, "data-state": extension.status },
              extensionInWords(extension, clock),
              h("span", { class: "muted" }, ` — “${extension.justification}”`),
            ),
          ),
        )
      : null,
  );
};

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
          entry.summary ?? eventLabel(entry.type),
          h("span", { class: "muted" }, ` (${publisherLabel(entry)})`),
        ),
      ),
    ),
  );

/**
 * A request's page; it refreshes itself until the request reaches a final status. Straight after the
 * form, the page shows what was submitted and asks only after a pause: the audit trail records the
 * request a moment after intake accepts it, and asking earlier would only meet a 404. Its requester
 * may withdraw it while it waits for approval, and its requester and operators extend or release its
 * lease while the resource runs: those panels live outside what each refresh redraws, so a reason
 * being typed survives a refresh. `?action=extend` or `?action=release` (the reminder emails' links)
 * opens that dialog once the request is loaded.
 */
export const renderRequest = (
  main: HTMLElement,
  requestId: string,
  signal: AbortSignal,
  user: SignedInUser,
  submitted?: ShownRequest,
) => {
  const live = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  const withdrawal = h("div", {});
  const leaseActions = leaseActionsPanel(requestId, user);
  main.replaceChildren(
    h("h1", {}, "Request ", h("code", {}, requestId)),
    live,
    withdrawal,
    leaseActions.element,
  );
  let askedAction = leaseActionIn(window.location.search);
  let withdrawn = false;
  const offerWithdrawal = (view: ShownRequest) => {
    // Once withdrawn, the panel says so until the audit trail shows the request cancelled.
    if (withdrawn) return;
    if (!mayOfferWithdrawal(view, user)) withdrawal.replaceChildren();
    else if (withdrawal.childElementCount === 0)
      withdrawal.replaceChildren(
        // A pending request's page keeps refreshing: it shows the request Cancelled once audited.
        withdrawPanel(requestId, () => {
          withdrawn = true;
        }),
      );
  };

  const show = (view: ShownRequest) => {
    offerWithdrawal(view);
    leaseActions.update(view);
    const clock: Clock = { now: new Date() };
    live.replaceChildren(
      h(
        "p",
        {},
        "Status: ",
        statusBadge(view.status),
        isFinalStatus(view.status) ? null : h("span", { class: "muted" }, " (updating)"),
      ),
      h("section", { class: "card", "aria-label": "The request as submitted" }, summaryOf(view)),
      ...[
        estimateOf(view),
        fieldErrorsOf(view),
        approvalOf(view),
        decisionOf(view),
        provisionedOf(view),
        leaseOf(view, clock),
      ].filter((section) => section !== null),
      ...(view.timeline ? [timelineOf(view)] : []),
    );
  };

  const justSubmitted = submitted?.requestId === requestId ? submitted : undefined;
  const startedAt = Date.now();
  const refresh = async () => {
    if (signal.aborted) return;
    let answer: LookupAnswer;
    try {
      answer = { view: await api.call(getRequestRoute, { params: { id: requestId } }) };
    } catch (error) {
      answer = { error };
    }
    if (signal.aborted) return;
    const step = nextLookupStep(answer, {
      submitted: justSubmitted !== undefined,
      waitedMs: Date.now() - startedAt,
    });
    switch (step.show) {
      case "request":
        show(step.view);
        if (askedAction) {
          // Once: the address loses the action, so a reload or a refresh does not open it again.
          leaseActions.open(askedAction);
          askedAction = undefined;
          window.history.replaceState(window.history.state, "", window.location.pathname);
        }
        break;
      case "waiting":
        // What was just submitted stays on screen while the audit trail catches up.
        if (!justSubmitted)
          live.replaceChildren(h("p", { class: "muted" }, "Waiting for the request to be recorded…"));
        break;
      case "unavailable":
        live.replaceChildren(h("p", { class: "muted" }, `Could not load the request: ${step.message}`));
        break;
      case "no-such-request":
        live.replaceChildren(
          h(
            "p",
            { role: "alert" },
            "No request with this id exists. ",
            h("a", { href: "/", "data-nav": true }, "Submit a new request"),
          ),
        );
        break;
    }
    if (step.askAgain) setTimeout(refresh, REFRESH_MS);
  };

  if (justSubmitted) {
    show(justSubmitted);
    setTimeout(refresh, REFRESH_MS);
  } else void refresh();
};
