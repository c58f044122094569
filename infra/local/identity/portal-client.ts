/**
 * The portal as a client of the local provider, in a module of its own so the API, the portal's
 * configuration and the CLIs can name it without loading the provider.
 */

/** The portal's client id; the `client_id` (and `aud`) of every local access token. */
export const LOCAL_PORTAL_CLIENT_ID = "portal";

/** Where the provider sends the browser back with a code, under PUBLIC_URL. */
export const PORTAL_CALLBACK_PATH = "/auth/callback";
