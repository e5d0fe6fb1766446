// Bundles the browser client (src/main.ts and what it imports) into public/app.js. `npm start` runs
// this first (the root `prestart` script), `npm run build` through turbo, and the browser test
// before it opens the page, so the page is never served from a stale or missing bundle. The bundle
// is generated, never committed.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL(".", import.meta.url));
export const BUNDLE = fileURLToPath(new URL("public/app.js", import.meta.url));

export async function buildClient(): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/main.ts"],
    outfile: BUNDLE,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // Bundle @starlane/shared/client from its TypeScript source: no `tsc` build needed first.
    conditions: ["starlane-source"],
    sourcemap: true,
    minify: true,
    logLevel: "warning",
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  await buildClient();
  process.stdout.write(`client-demo: bundled public/app.js in ${Math.round(performance.now() - t0)} ms\n`);
}
