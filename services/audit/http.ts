import { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { emailSchema, mustBe, requestIdSchema } from "../../events/index.ts";
import { REQUEST_STATUSES } from "../../events/request-status.ts";
import { ClientError } from "../shared/errors.ts";
import { createServiceApp, parseOrReject } from "../shared/http.ts";
import type { RequestWithTimeline } from "./domain.ts";
import { PAGE_SIZE } from "./page-size.ts";
import { type AuditStore, auditStore, InvalidCursorError } from "./store.ts";

/** An empty parameter (`?status=`) filters nothing, as a form with an unset field sends it. */
const optionalParameter = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const limitMessage = `must be a whole number from 1 to ${PAGE_SIZE.max}`;

const listQuerySchema = z.object({
  requester: optionalParameter(emailSchema),
  status: optionalParameter(z.enum(REQUEST_STATUSES, mustBe(`one of ${REQUEST_STATUSES.join(", ")}`))),
  limit: optionalParameter(
    z
      .string()
      .regex(/^[0-9]{1,4}$/, limitMessage)
      .transform(Number)
      .pipe(z.number().min(1, limitMessage).max(PAGE_SIZE.max, limitMessage)),
  ).transform((limit) => limit ?? PAGE_SIZE.default),
  cursor: optionalParameter(z.string()),
});

const pathSchema = z.object({ id: requestIdSchema });

/** The audit API: one request with its timeline, and the filtered, paginated list of requests. */
export const createAuditApp = (store: AuditStore, logger: Logger) => {
  const app = createServiceApp(logger);

  app.get("/api/requests", async (c) => {
    const query = parseOrReject(listQuerySchema, c.req.query(), "Query");
    try {
      return c.json(await store.listViews(query));
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

  app.get("/api/requests/:id", async (c) => {
    const { id } = parseOrReject(pathSchema, { id: c.req.param("id") }, "Path");
    const [view, timeline] = await Promise.all([store.getView(id), store.readTimeline(id)]);
    if (!view) throw new ClientError(404, `No request with id ${id}`);
    return c.json({ ...view, timeline } satisfies RequestWithTimeline);
  });

  return app;
};

export const app = createAuditApp(auditStore, new Logger({ serviceName: "audit" }));
