import { z } from "zod";

/**
 * `GET /config.json`: how the portal signs in where it is served. The local HTTP server answers it
 * with the local OpenID Provider; on AWS the CDK app writes it next to the portal with the user pool's.
 * The portal's bundle is the same everywhere, so nothing about the identity provider is built into it.
 * Browser-safe.
 */
export const portalConfigSchema = z.object({
  signIn: z.object({
    /** The OpenID Provider's issuer, whose discovery document lies at `/.well-known/openid-configuration`. */
    authority: z.url(),
    /** The portal's public client (no secret: authorization code with PKCE). */
    clientId: z.string().min(1),
    /** The scopes the portal asks for, space-separated. */
    scope: z.string().min(1),
  }),
});

export type PortalConfig = z.output<typeof portalConfigSchema>;

/** What the portal asks for: who the user is (`openid`), their email and their name. */
export const PORTAL_SCOPE = "openid email profile";

/** Where the portal's configuration is served, next to its index.html. */
export const PORTAL_CONFIG_PATH = "/config.json";
