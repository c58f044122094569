import { APPROVALS_BUS } from "../../events/contract.ts";
import { tableNameEnvironment } from "../../infra/local/tables.ts";
import { services } from "../../services/registry.ts";
import { TEST_AUDIENCE, TEST_ISSUER } from "../../services/shared/testing/access-tokens.ts";

/**
 * Imported first by tests of modules that read their environment when they load (the wired handlers
 * and apps beside the factories under test): what the local runtime gives every handler, with each
 * table named by its id, as `startTestDynamo` creates it from the specs.
 */
Object.assign(process.env, {
  EVENT_BUS_NAME: APPROVALS_BUS,
  SENDER: "approvals@example.com",
  APPROVAL_TTL_SECONDS: "3600",
  PUBLIC_URL: "http://localhost:3000",
  HMAC_SECRET: "test-secret-that-is-at-least-32-characters",
  AWS_REGION: "us-east-1",
  // What the launchers tag their resources with as the deployment's.
  DEPLOYMENT_NAME: "approvals-test",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  // The EMF lines of the handlers' metrics (services/shared/observability.ts): tests spy on what they count.
  POWERTOOLS_METRICS_DISABLED: "true",
  // The wired apps' verifier reads these on first use; tests give the apps under test their own.
  AUTH_ISSUER: TEST_ISSUER,
  AUTH_AUDIENCE: TEST_AUDIENCE,
  AUTH_JWKS_URL: `${TEST_ISSUER}/jwks`,
  // What `needs.schedules` gives a service's functions (services/shared/schedules.ts).
  SCHEDULE_GROUP: "approvals",
  SCHEDULER_ROLE_ARN: "arn:aws:iam::000000000000:role/test-scheduler",
  SCHEDULER_DLQ_ARN: "arn:aws:sqs:us-east-1:000000000000:test-scheduler-dead-letters",
  EVENT_BUS_ARN: `arn:aws:events:us-east-1:000000000000:event-bus/${APPROVALS_BUS}`,
  ...tableNameEnvironment(services.flatMap((service) => service.tables)),
});
