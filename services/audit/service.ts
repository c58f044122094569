import { listApprovalsRoute } from "../../api/approvals.ts";
import { getRequestRoute, listRequestsRoute, openApiDocumentRoute } from "../../api/contract.ts";
import { dashboardRoute } from "../../api/dashboard.ts";
import {
  type HandlerRef,
  handlerOf,
  routeOf,
  type ServiceManifest,
  SIGN_IN_SETTINGS,
} from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { auditAggregatesTable, auditRequestsTable, auditTimelineTable, tables } from "./tables.ts";

const httpHandler: HandlerRef = { entry: "services/audit/http-handler.ts", exportName: "handler" };

export const service: ServiceManifest = {
  name: "audit",
  subscriptions,
  tables,
  http: {
    service: "audit",
    routes: [
      listRequestsRoute,
      getRequestRoute,
      listApprovalsRoute,
      dashboardRoute,
      openApiDocumentRoute,
    ].map(routeOf),
    handler: httpHandler,
    app: "services/audit/http.ts",
    access:
      "Requests, approvals and the operators' dashboard are for signed-in users only; the one open route is the OpenAPI document, which describes the API and holds no data",
  },
  publishes: [],
  uses: [
    {
      handler: handlerOf(subscriptions, "audit-on-flow-event"),
      writes: [auditRequestsTable, auditTimelineTable, auditAggregatesTable],
    },
    // The public API only reads: nothing that reaches it can change the trail.
    { handler: httpHandler, reads: [auditRequestsTable, auditTimelineTable, auditAggregatesTable] },
  ],
  needs: { settings: [...SIGN_IN_SETTINGS], sendsEmail: false, readsHmacKey: false },
};
