import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type Provider from "oidc-provider";
import { errors, type Interaction } from "oidc-provider";
import type { SafeHtml } from "../../../services/shared/html.ts";
import { THEME_STYLE_HASH } from "../../../services/shared/layout.ts";
import { BodyTooLargeError, readWholeBody } from "../edge/delegation.ts";
import { allowedHostsOf, refusedAsMisdirected } from "../host-check.ts";
import { loadIdentityKeys } from "./keys.ts";
import { messagePage, signInPage } from "./pages.ts";
import { createLocalProvider } from "./provider.ts";
import { type LocalUser, subjectOf } from "./users.ts";

export interface IdentityProviderOptions {
  host: string;
  /** 0 for any free port: the issuer names the port actually bound. */
  port: number;
  dataDir: string;
  publicUrl: string;
  users: readonly LocalUser[];
  log?: (line: string) => void;
}

export interface RunningIdentityProvider {
  /** The issuer: `http://localhost:<port>`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const INTERACTION_ROUTE = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/;

/** Every answer is for one browser at one moment, and no page of the provider may be framed. */
const securityHeaders = (portalOrigin: string) => ({
  "Content-Security-Policy": [
    "default-src 'none'",
    `style-src ${THEME_STYLE_HASH}`,
    // A signed-in form ends in a redirect to the portal, which form-action governs too.
    `form-action 'self' ${portalOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; "),
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
});

const sendPage = (response: ServerResponse, status: number, page: SafeHtml) => {
  response.writeHead(status, { "Content-Type": "text/html; charset=utf-8" }).end(page.value);
};

const SIGN_IN_EXPIRED = messagePage(
  "Sign-in expired",
  "This sign-in has expired or was started in another browser. Start again from the portal.",
);

/**
 * The portal is first-party (every registered client is), so what consent would ask is granted as
 * asked: the scopes, claims and API scopes the prompt found missing.
 */
const grantFirstParty = async (provider: Provider, details: Interaction): Promise<string> => {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({
        accountId: details.session?.accountId,
        clientId: String(details.params.client_id),
      });
  if (!grant) throw new errors.SessionNotFound("the grant of this sign-in is gone");
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(resource, scopes.join(" "));
  return grant.save();
};

/** The sign-in itself: the page listing the users, the chosen user's form, Cancel, and consent. */
const interactionRoutes = (provider: Provider, users: readonly LocalUser[]) => {
  const byEmail = new Map(users.map((user) => [user.email, user]));
  return async (request: IncomingMessage, response: ServerResponse, uid: string, action?: string) => {
    const details = await provider.interactionDetails(request, response);
    if (details.uid !== uid) throw new errors.SessionNotFound("interaction and cookie differ");
    const finish = (result: Parameters<Provider["interactionFinished"]>[2]) =>
      provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });

    if (request.method === "GET" && action === undefined) {
      if (details.prompt.name === "consent")
        return finish({ consent: { grantId: await grantFirstParty(provider, details) } });
      return sendPage(response, 200, signInPage({ interactionUid: uid, users }));
    }
    if (request.method === "POST" && action === "abort")
      return finish({ error: "access_denied", error_description: "The user cancelled signing in" });
    if (request.method === "POST" && action === "login" && details.prompt.name === "login") {
      const email = new URLSearchParams((await readWholeBody(request)).toString("utf8")).get("email") ?? "";
      if (!byEmail.has(email.toLowerCase()))
        return sendPage(
          response,
          400,
          signInPage({ interactionUid: uid, users, error: `${email} is not a local user` }),
        );
      return finish({ login: { accountId: subjectOf(email) } });
    }
    return sendPage(
      response,
      405,
      messagePage("Not allowed", "This step of signing in does not take that request."),
    );
  };
};

/** Starts the local OpenID Provider on its own port; its keys and sessions live under `dataDir`. */
export const startIdentityProvider = async (
  options: IdentityProviderOptions,
): Promise<RunningIdentityProvider> => {
  const { host, port, dataDir, publicUrl, users, log = () => {} } = options;
  const keys = await loadIdentityKeys(dataDir);
  const portalOrigin = new URL(publicUrl).origin;
  const allowedHosts = allowedHostsOf(publicUrl);
  const headers = securityHeaders(portalOrigin);

  const server = createServer();
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error)),
  ]);
  const boundPort = (server.address() as AddressInfo).port;
  const url = `http://localhost:${boundPort}`;

  const provider = createLocalProvider({ issuer: url, publicUrl, users, keys, dataDir });
  provider.on("server_error", (_ctx, error) => log(`[identity] ${String(error)}`));
  const answerProtocol = provider.callback();
  const answerInteraction = interactionRoutes(provider, users);

  server.on("request", async (request: IncomingMessage, response: ServerResponse) => {
    if (refusedAsMisdirected(request, response, allowedHosts)) return;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const interaction = INTERACTION_ROUTE.exec(new URL(request.url ?? "/", url).pathname);
    if (!interaction) return answerProtocol(request, response);
    const [, uid = "", action] = interaction;
    try {
      await answerInteraction(request, response, uid, action);
    } catch (error) {
      if (response.headersSent) return;
      if (error instanceof errors.SessionNotFound) return sendPage(response, 400, SIGN_IN_EXPIRED);
      if (error instanceof BodyTooLargeError)
        return sendPage(response, 413, messagePage("Form too large", "Nothing was signed in."));
      log(`[identity] sign-in failed: ${String(error)}`);
      sendPage(
        response,
        500,
        messagePage("Sign-in failed", "Something went wrong; start again from the portal."),
      );
    }
  });

  return {
    url,
    port: boundPort,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
