import { resolve } from "node:path";
import { defineConfig } from "vite";

// The portal imports the event catalog from the repository root, so the browser validates with the
// very schemas the API uses.
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: resolve(import.meta.dirname, "dist"), emptyOutDir: true, sourcemap: true },
  server: { fs: { allow: [resolve(import.meta.dirname, "..")] } },
});
