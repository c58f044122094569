import { estimateRoute, regionsRoute, submitRequestRoute } from "../../api/contract.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import {
  asProducer,
  type HandlerRef,
  handlerOf,
  routeOf,
  type ServiceManifest,
  SIGN_IN_SETTINGS,
} from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, requestsTable, tables } from "./tables.ts";

const httpHandler: HandlerRef = { entry: "services/intake/http-handler.ts", exportName: "handler" };

export const service: ServiceManifest = {
  name: "intake",
  subscriptions,
  tables,
  http: {
    service: "intake",
    routes: [submitRequestRoute, estimateRoute, regionsRoute].map(routeOf),
    handler: httpHandler,
    app: "services/intake/http.ts",
    access:
      "Submitting a request, estimating one and reading the allowed regions is for signed-in requesters only; the requester is the caller, taken from the access token",
  },
  publishes: asProducer(ResourceRequested, RequestAccepted, RequestInvalid),
  uses: [
    // A submission is recorded and published; only the consumer accepts or refuses it.
    { handler: httpHandler, writes: [requestsTable], publishes: [ResourceRequested] },
    {
      handler: handlerOf(subscriptions, "intake-on-resource-requested"),
      writes: [requestsTable, idempotencyTable],
      publishes: [RequestAccepted, RequestInvalid],
    },
  ],
  needs: {
    settings: [
      ...SIGN_IN_SETTINGS,
      "ALLOWED_REGIONS",
      "DEFAULT_REGION",
      "BUCKET_NAME_PREFIX",
      "ALLOWED_SUBNET_IDS",
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
