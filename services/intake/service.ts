import { estimateRoute, regionsRoute, submitRequestRoute } from "../../api/contract.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { asProducer, routeOf, type ServiceManifest, SIGN_IN_SETTINGS } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "intake",
  subscriptions,
  tables,
  http: {
    service: "intake",
    routes: [submitRequestRoute, estimateRoute, regionsRoute].map(routeOf),
    handler: { entry: "services/intake/http-handler.ts", exportName: "handler" },
    app: "services/intake/http.ts",
    access:
      "Submitting a request, estimating one and reading the allowed regions is for signed-in requesters only; the requester is the caller, taken from the access token",
  },
  publishes: asProducer(ResourceRequested, RequestAccepted, RequestInvalid),
  needs: {
    settings: [
      ...SIGN_IN_SETTINGS,
      "ALLOWED_REGIONS",
      "DEFAULT_REGION",
      "BUCKET_NAME_PREFIX",
      // LEASE_DEFAULT too: the limits are read with it, and a default outside them is refused at start.
      "LEASE_DEFAULT",
      "LEASE_MIN",
      "LEASE_MAX",
    ],
    sendsEmail: false,
    readsHmacKey: false,
    pricing: true,
  },
};
