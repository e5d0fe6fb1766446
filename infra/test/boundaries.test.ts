// Services meet at contracts in @starlane/shared: no service's code imports another service. Only
// the composition roots may (each service's src/main.ts, and the embedded mode's src/index.ts,
// which is nothing but a composition root); they build the implementations and pass them in.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVICES = join(ROOT, "services");
const COMPOSITION_ROOTS = new Set(["services/embedded/src/index.ts"]);
const isCompositionRoot = (file: string) => file.endsWith("/src/main.ts") || COMPOSITION_ROOTS.has(file);

/** The @starlane/* packages a source imports, re-exports or loads (static, dynamic, side-effect). */
function starlaneImports(source: string): string[] {
  const found = new Set<string>();
  const specifier = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](@starlane\/[\w.-]+)(?:\/[^"']*)?["']/g;
  for (const m of source.matchAll(specifier)) found.add(m[1]!);
  return [...found];
}

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

const services = readdirSync(SERVICES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    try {
      const pkg = JSON.parse(readFileSync(join(SERVICES, d.name, "package.json"), "utf8")) as { name: string };
      return [{ dir: d.name, name: pkg.name }];
    } catch {
      return [];
    }
  });

test("the import scanner sees every form of import", () => {
  const src = `
    import { a } from "@starlane/zone";
    import type { B } from '@starlane/login/sub/path';
    export { c } from "@starlane/persistence";
    import "@starlane/chat";
    const d = await import("@starlane/embedded");
    const e = require( "@starlane/other" );
    import { f } from "@starlane/shared";
    // "@starlane/not-an-import" in a comment is not matched without from/import
  `;
  assert.deepEqual(starlaneImports(src).sort(), [
    "@starlane/chat",
    "@starlane/embedded",
    "@starlane/login",
    "@starlane/other",
    "@starlane/persistence",
    "@starlane/shared",
    "@starlane/zone",
  ]);
});

test("no service's code outside its composition root imports another service package", () => {
  assert.ok(services.length >= 4, `found the service packages: ${services.map((s) => s.name).join(", ")}`);
  const names = new Set(services.map((s) => s.name));
  const violations: string[] = [];
  let checked = 0;
  for (const { dir, name } of services) {
    for (const path of sources(join(SERVICES, dir, "src"))) {
      const file = relative(ROOT, path).split("\\").join("/");
      if (isCompositionRoot(file)) continue;
      checked++;
      for (const imported of starlaneImports(readFileSync(path, "utf8"))) {
        if (imported !== name && names.has(imported)) violations.push(`${file} imports ${imported}`);
      }
    }
  }
  assert.ok(checked > 20, `read the services' sources (${checked} files)`);
  assert.deepEqual(violations, [], "use a contract in @starlane/shared and wire it in a composition root");
});
