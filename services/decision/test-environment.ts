/**
 * Imported first by tests of modules that read their configuration at load (the wired handlers and
 * app), so those modules load; the tests themselves inject every dependency they exercise.
 */
Object.assign(process.env, {
  EVENT_BUS_NAME: "approvals",
  SENDER: "approvals@example.com",
  APPROVERS: "approver@example.com",
  APPROVAL_TTL_SECONDS: "3600",
  PUBLIC_URL: "http://localhost:3000",
  DECISION_APPROVALS_TABLE: "decision-approvals",
  HMAC_SECRET: "test-secret-that-is-at-least-32-characters",
  AWS_REGION: "us-east-1",
  POWERTOOLS_LOG_LEVEL: "SILENT",
});
