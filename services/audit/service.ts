import { listApprovalsRoute } from "../../api/approvals.ts";
import { getRequestRoute, listRequestsRoute, openApiDocumentRoute } from "../../api/contract.ts";
import { routeOf, type ServiceManifest, SIGN_IN_SETTINGS } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "audit",
  subscriptions,
  tables,
  http: {
    service: "audit",
    routes: [listRequestsRoute, getRequestRoute, listApprovalsRoute, openApiDocumentRoute].map(routeOf),
    handler: { entry: "services/audit/http-handler.ts", exportName: "handler" },
    app: "services/audit/http.ts",
    access:
      "Requests and approvals are for signed-in users only; the one open route is the OpenAPI document, which describes the API and holds no data",
  },
  publishes: [],
  needs: { settings: [...SIGN_IN_SETTINGS], sendsEmail: false, readsHmacKey: false },
};
