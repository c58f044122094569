import { submitRequestRoute } from "../../api/contract.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { asProducer, routeOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "intake",
  subscriptions,
  tables,
  http: {
    service: "intake",
    routes: [routeOf(submitRequestRoute)],
    handler: { entry: "services/intake/http-handler.ts", exportName: "handler" },
    app: "services/intake/http.ts",
    access:
      "Submitting a request is open to whoever reaches the portal, like any other producer of ResourceRequested: it only asks, an approver decides, and the stage throttles it",
  },
  publishes: asProducer(ResourceRequested, RequestAccepted, RequestInvalid),
  needs: { settings: [], sendsEmail: false, readsHmacKey: false },
};
