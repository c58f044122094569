import { DELEGATION_ROUTES } from "../../api/delegations.ts";
import { DelegationChanged } from "../../events/delegation-changed.ts";
import { asProducer, routeOf, type ServiceManifest, SIGN_IN_SETTINGS } from "../shared/manifest.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "delegation",
  subscriptions: [],
  tables,
  http: {
    service: "delegation",
    routes: DELEGATION_ROUTES.map(routeOf),
    handler: { entry: "services/delegation/http-handler.ts", exportName: "handler" },
    app: "services/delegation/http.ts",
    access: "Every route admits signed-in approvers only, each to their own delegations",
  },
  publishes: asProducer(DelegationChanged),
  needs: { settings: [...SIGN_IN_SETTINGS], sendsEmail: false, readsHmacKey: false },
};
