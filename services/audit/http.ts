import { Logger } from "@aws-lambda-powertools/logger";
import { listApprovalsRoute } from "../../api/approvals.ts";
import { getRequestRoute, listRequestsRoute, openApiDocumentRoute } from "../../api/contract.ts";
import { dashboardRoute } from "../../api/dashboard.ts";
import { openApiDocument } from "../../api/openapi.ts";
import type { AccessTokenVerifier } from "../shared/access-token.ts";
import { ClientError } from "../shared/errors.ts";
import { createServiceApp } from "../shared/http.ts";
import { accessTokenVerifier, admitTo } from "../shared/http-auth.ts";
import { dashboardOf } from "./aggregates.ts";
import { type AggregatesStore, aggregatesStore } from "./aggregates-store.ts";
import { costSoFarOf, extensionAwaiting, mayRead, readAccessOf } from "./domain.ts";
import { type AuditStore, auditStore, InvalidCursorError } from "./store.ts";
import { entryInWords } from "./words.ts";

/**
 * The audit API: one request with its timeline, the filtered, paginated list of requests, each of
 * them only as far as the signed-in caller may read them, and the OpenAPI document of the whole API.
 */
export const createAuditApp = (
  store: AuditStore,
  logger: Logger,
  verifyAccessToken: () => AccessTokenVerifier,
  now: () => Date = () => new Date(),
) => {
  const app = createServiceApp(logger);

  const listRequests = { ...listRequestsRoute, middleware: admitTo(listRequestsRoute, verifyAccessToken) };
  app.openapi(listRequests, async (c) => {
    try {
      return c.json(await store.listViews(c.req.valid("query"), readAccessOf(c.get("identity"))), 200);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new ClientError(
          400,
          `Query is invalid: cursor ${error.message}`,
          [{ field: "cursor", message: error.message }],
          { cause: error },
        );
      }
      throw error;
    }
  });

  const getRequest = { ...getRequestRoute, middleware: admitTo(getRequestRoute, verifyAccessToken) };
  app.openapi(getRequest, async (c) => {
    const { id } = c.req.valid("param");
    const [view, { entries }] = await Promise.all([store.getView(id), store.readTimeline(id)]);
    // Someone else's request reads as no request at all, so ids cannot be probed for.
    if (!view || !mayRead(readAccessOf(c.get("identity")), view)) {
      throw new ClientError(404, `No request with id ${id}`);
    }
    // Worded on reading, so entries recorded before the words existed read the same.
    const timeline = entries.map((entry) => ({ ...entry, summary: entryInWords(entry) }));
    // Worked out on reading too: while the resource runs, it grows by the hour.
    const costSoFar = costSoFarOf(view, now());
    return c.json({ ...view, timeline, ...(costSoFar && { costSoFar }) }, 200);
  });

  const listApprovals = { ...listApprovalsRoute, middleware: admitTo(listApprovalsRoute, verifyAccessToken) };
  app.openapi(listApprovals, async (c) => {
    const { email } = c.get("identity");
    const items = (await store.listAwaitingDecisionOf(email)).map((view) => {
      const extension = extensionAwaiting(view, email);
      return extension ? { ...view, extension } : view;
    });
    return c.json({ items }, 200);
  });

  app.openapi(openApiDocumentRoute, (c) => c.json(openApiDocument(), 200));

  return app;
};

/**
 * The operators' dashboard on the audit app: the range's counters, and the requests pending approval
 * now. Two Queries' worth of reads at most a dozen times over, whatever the number of requests.
 */
export const serveDashboard = (
  app: ReturnType<typeof createAuditApp>,
  store: AuditStore,
  aggregates: AggregatesStore,
  verifyAccessToken: () => AccessTokenVerifier,
) => {
  const dashboard = { ...dashboardRoute, middleware: admitTo(dashboardRoute, verifyAccessToken) };
  app.openapi(dashboard, async (c) => {
    const range = c.req.valid("query");
    const [counters, pending] = await Promise.all([aggregates.read(range), store.listPendingApproval()]);
    return c.json(dashboardOf(range, counters, pending), 200);
  });
  return app;
};

export const app = serveDashboard(
  createAuditApp(auditStore, new Logger({ serviceName: "audit" }), accessTokenVerifier),
  auditStore,
  aggregatesStore,
  accessTokenVerifier,
);
