import { OpenAPIHono } from "@hono/zod-openapi";
import { BEARER_SCHEME } from "./access.ts";
import { API_ROUTES } from "./contract.ts";

/**
 * The OpenAPI 3.1 document of the whole API, from the contract's routes alone: it is the same whichever
 * service serves which route. The app only lends its registry and generator; it serves nothing.
 */
export const openApiDocument = () => {
  const described = new OpenAPIHono();
  described.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An access token of the identity provider (Cognito on AWS, the local OpenID Provider locally).",
  });
  for (const route of API_ROUTES) described.openAPIRegistry.registerPath(route);
  return described.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Resource approvals API",
      version: "1",
      description: "Submit requests for AWS resources and follow them from approval to provisioning.",
    },
  });
};
