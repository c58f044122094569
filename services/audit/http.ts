import { Logger } from "@aws-lambda-powertools/logger";
import { getRequestRoute, listRequestsRoute, openApiDocumentRoute } from "../../api/contract.ts";
import { openApiDocument } from "../../api/openapi.ts";
import { ClientError } from "../shared/errors.ts";
import { createServiceApp } from "../shared/http.ts";
import { type AuditStore, auditStore, InvalidCursorError } from "./store.ts";

/**
 * The audit API: one request with its timeline, the filtered, paginated list of requests, and the
 * OpenAPI document of the whole API.
 */
export const createAuditApp = (store: AuditStore, logger: Logger) => {
  const app = createServiceApp(logger);

  app.openapi(listRequestsRoute, async (c) => {
    try {
      return c.json(await store.listViews(c.req.valid("query")), 200);
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

  app.openapi(getRequestRoute, async (c) => {
    const { id } = c.req.valid("param");
    const [view, timeline] = await Promise.all([store.getView(id), store.readTimeline(id)]);
    if (!view) throw new ClientError(404, `No request with id ${id}`);
    return c.json({ ...view, timeline }, 200);
  });

  app.openapi(openApiDocumentRoute, (c) => c.json(openApiDocument(), 200));

  return app;
};

export const app = createAuditApp(auditStore, new Logger({ serviceName: "audit" }));
