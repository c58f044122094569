import { decideApprovalRoute, decideWithLinkRoute, previewLinkDecisionRoute } from "../../api/approvals.ts";
import { withdrawRequestRoute } from "../../api/contract.ts";
import { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import { DECISION_PATHS } from "../shared/decision-token.ts";
import {
  asProducer,
  type HandlerRef,
  handlerOf,
  routeOf,
  type ServiceManifest,
  SIGN_IN_SETTINGS,
} from "../shared/manifest.ts";
import { DECISION_EVENTS } from "./outbox.ts";
import { SLACK_INTERACTIONS_PATH } from "./slack/payloads.ts";
import { subscriptions } from "./subscriptions.ts";
import { approvalsTable, delegationsCopyTable, tables } from "./tables.ts";

const httpHandler: HandlerRef = { entry: "services/decision/http-handler.ts", exportName: "handler" };

export const service: ServiceManifest = {
  name: "decision",
  subscriptions,
  tables,
  http: {
    service: "decision",
    routes: [
      ...Object.values(DECISION_PATHS).flatMap((path) =>
        (["GET", "HEAD", "POST"] as const).map((method) => ({ method, path, signedIn: false })),
      ),
      ...[decideApprovalRoute, previewLinkDecisionRoute, decideWithLinkRoute, withdrawRequestRoute].map(
        routeOf,
      ),
      { method: "POST", path: SLACK_INTERACTIONS_PATH, signedIn: false },
    ],
    handler: httpHandler,
    app: "services/decision/http.ts",
    access:
      "The decision pages are authorized by the link's token: HMAC-signed, single use, bound to one approver and expiring, checked before any read. The API routes admit signed-in approvers only. POST /slack/interactions is authorized by Slack's signature of its body (the app's signing secret, at most five minutes old), checked before the body is parsed; the Slack user then decides as the directory's user with their profile's email, as if signed in",
  },
  // ApprovalTimerDue goes out through its schedules (timers.ts): EventBridge Scheduler puts it on the bus.
  publishes: asProducer(...DECISION_EVENTS, ApprovalTimerDue),
  uses: [
    // Each moves approvals on and publishes the events its write owes (outbox.ts); these start stages,
    // so they read who is away (delegations.ts).
    ...[
      handlerOf(subscriptions, "decision-on-request-accepted"),
      handlerOf(subscriptions, "decision-on-approval-requested"),
      handlerOf(subscriptions, "decision-on-extension-requested"),
      httpHandler,
    ].map((handler) => ({
      handler,
      reads: [delegationsCopyTable],
      writes: [approvalsTable],
      publishes: DECISION_EVENTS,
    })),
    ...[
      handlerOf(subscriptions, "decision-on-approval-timer-due"),
      handlerOf(subscriptions, "decision-on-release-requested"),
      handlerOf(subscriptions, "decision-expire-sweeper"),
    ].map((handler) => ({ handler, writes: [approvalsTable], publishes: DECISION_EVENTS })),
    // It keeps decision's copy of the delegations, and nothing else.
    { handler: handlerOf(subscriptions, "decision-on-delegation-changed"), writes: [delegationsCopyTable] },
  ],
  needs: {
    settings: [
      "PUBLIC_URL",
      "APPROVAL_TTL_SECONDS",
      "DECISIONS_REQUIRE_SIGN_IN",
      "LEASE_DEFAULT",
      "LEASE_MIN",
      "LEASE_MAX",
      ...SIGN_IN_SETTINGS,
    ],
    sendsEmail: false,
    readsHmacKey: true,
    directory: true,
    policies: true,
    schedules: true,
    // Only its routes answer Slack (POST /slack/interactions); its event handlers and timers never do.
    chat: { handlers: [httpHandler] },
  },
};
