import { createApiClient } from "../../api/client.ts";
import type { RequestView, RequestWithTimeline } from "../../api/schemas.ts";

/** The portal is served from the API's own origin. */
export const api = createApiClient(window.location.origin);

/** A request the request page can show: the audit API's view, or what the form has just submitted. */
export type ShownRequest = Pick<RequestView, "requestId" | "status"> & Partial<RequestWithTimeline>;
