import { fileURLToPath } from "node:url";

/** The repository root: handler entries and the portal build are paths relative to it. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
