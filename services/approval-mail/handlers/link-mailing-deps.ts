import { randomBytes } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { publisher } from "../../shared/events.ts";
import { hmacKey } from "../../shared/hmac-key.ts";
import { sendEmail } from "../../shared/mail.ts";
import { businessMetricsOf, metricsOf } from "../../shared/observability.ts";
import { config } from "../config.ts";
import { mailingStore } from "../wiring.ts";

/**
 * What each handler that mails decision links works with: the stage's mailings, the link key, the
 * mail and the bus. Kept apart from wiring.ts, which the closure handlers import without the link key.
 */
export const linkMailingDeps = (logger: Logger) => ({
  store: mailingStore,
  publisher,
  sendEmail,
  hmacKey,
  now: () => new Date(),
  randomBytes,
  settings: { publicUrl: config.PUBLIC_URL, decisionsRequireSignIn: config.DECISIONS_REQUIRE_SIGN_IN },
  logger,
  metrics: businessMetricsOf(metricsOf("approval-mail")),
});
