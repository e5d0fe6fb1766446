// Serves the browser client's files from one folder (the front door: npm start, and login in the
// cluster when STARLANE_CLIENT_DIR is set). Paths are resolved inside that folder only.
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { type App, reply } from "./http.js";
import { StarlaneError } from "./protocol.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

export function mountStatic(app: App, root: string): void {
  app.get("/*", (res, req) => {
    const url = req.getUrl();
    const r = reply(res);
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(url === "/" ? "/index.html" : url)).replace(/^([/\\])+/, "");
    } catch {
      rel = "\0"; // malformed percent-encoding
    }
    const file = join(root, rel);
    if (!file.startsWith(root + sep) || rel.includes("\0")) {
      r.error(new StarlaneError("STARLANE_ERR_NOT_FOUND"));
      return;
    }
    readFile(file).then(
      (body) => r.text(200, body, TYPES[extname(file)] ?? "application/octet-stream"),
      () => r.error(new StarlaneError("STARLANE_ERR_NOT_FOUND")),
    );
  });
}
