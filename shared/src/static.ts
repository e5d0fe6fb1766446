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

/**
 * Sent with every file of the page. The page runs only its own bundle (no inline script or style,
 * no eval: msgpackr's generated readers fall back to plain ones), talks to the front door and to
 * zone and chat addresses that world entry names (other ports, so any http/ws origin), is framed
 * by no one, and sends no Referer to other sites.
 */
export const PAGE_SECURITY_HEADERS = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' http: https: ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
} as const satisfies Record<string, string>;

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
      r.error(new StarlaneError("STARLANE_ERR_NOT_FOUND"), PAGE_SECURITY_HEADERS);
      return;
    }
    readFile(file).then(
      (body) => r.text(200, body, TYPES[extname(file)] ?? "application/octet-stream", PAGE_SECURITY_HEADERS),
      () => r.error(new StarlaneError("STARLANE_ERR_NOT_FOUND"), PAGE_SECURITY_HEADERS),
    );
  });
}
