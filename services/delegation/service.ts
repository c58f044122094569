import { DELEGATION_ROUTES } from "../../api/delegations.ts";
import { DelegationChanged } from "../../events/delegation-changed.ts";
import {
  asProducer,
  type HandlerRef,
  routeOf,
  type ServiceManifest,
  SIGN_IN_SETTINGS,
} from "../shared/manifest.ts";
import { delegationsTable, tables } from "./tables.ts";

const httpHandler: HandlerRef = { entry: "services/delegation/http-handler.ts", exportName: "handler" };

export const service: ServiceManifest = {
  name: "delegation",
  subscriptions: [],
  tables,
  http: {
    service: "delegation",
    routes: DELEGATION_ROUTES.map(routeOf),
    handler: httpHandler,
    app: "services/delegation/http.ts",
    access: "Every route admits signed-in approvers only, each to their own delegations",
  },
  publishes: asProducer(DelegationChanged),
  uses: [{ handler: httpHandler, writes: [delegationsTable], publishes: [DelegationChanged] }],
  needs: { settings: [...SIGN_IN_SETTINGS], sendsEmail: false, readsHmacKey: false },
};
