import { z } from "zod";

/**
 * Zod without its compiled parsers: they are built with `new Function`, and even zod's probe for it
 * (caught when refused) makes the browser report a violation of the portal's CSP, which allows no
 * 'unsafe-eval' (infra/aws/constructs/portal.ts). Zod reads the setting as each object schema is
 * built, so main.ts imports this module before any that builds one.
 */
z.config({ jitless: true });
