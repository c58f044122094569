import { getRequestRoute, listRequestsRoute, openApiDocumentRoute } from "../../api/contract.ts";
import { routeOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "audit",
  subscriptions,
  tables,
  http: {
    service: "audit",
    routes: [listRequestsRoute, getRequestRoute, openApiDocumentRoute].map(routeOf),
    handler: { entry: "services/audit/http-handler.ts", exportName: "handler" },
    app: "services/audit/http.ts",
    access:
      "Read-only request status for the portal, which has no sign-in in this release; deployments that need one put CloudFront behind their identity provider (docs/DEPLOYMENT.md)",
  },
  publishes: [],
  needs: { settings: [], sendsEmail: false, readsHmacKey: false },
};
