import { resolve } from "node:path";
import { defineConfig } from "vite";

// The portal imports the event catalog from the repository root, so the browser validates with the
// very schemas the API uses.
export default defineConfig({
  root: import.meta.dirname,
  // No source maps: the bucket CloudFront serves the build from is public, and a map would publish the source.
  build: { outDir: resolve(import.meta.dirname, "dist"), emptyOutDir: true, sourcemap: false },
  server: { fs: { allow: [resolve(import.meta.dirname, "..")] } },
});
