// Every way a token can be wrong, against the shared verifier that zone and chat use, with keys
// both from a real JWKS over HTTP and from a key set in the process. Plus the unknown-kid flood:
// JWKS fetches are counted on the real HTTP server that serves them.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, mock, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  ACCESS_TOKEN_TYPE,
  bearerToken,
  createTokenVerifier,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type TokenVerifier,
} from "./auth.js";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
const KID = "key-1";
let privateKey: PrivateKey;
let publicJwk: JWK;
let server: Server;
let fetches = 0;
let jwksDown = false;
let jwksUrl: URL;

before(async () => {
  const pair = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: TOKEN_ALGORITHM, use: "sig" };
  server = createServer((req, res) => {
    if (req.url !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    if (jwksDown) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Claims {
  alg?: string;
  kid?: string | undefined;
  typ?: string | undefined;
  iss?: string;
  aud?: string;
  sub?: string | undefined;
  name?: string;
  expiresIn?: number;
  key?: PrivateKey;
}

/** A token like the login service issues, with any one part changed. */
async function token(over: Claims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, string> = { alg: over.alg ?? TOKEN_ALGORITHM };
  const kid = "kid" in over ? over.kid : KID;
  const typ = "typ" in over ? over.typ : ACCESS_TOKEN_TYPE;
  if (kid !== undefined) header.kid = kid;
  if (typ !== undefined) header.typ = typ;
  const jwt = new SignJWT({ name: over.name ?? "pilot" })
    .setProtectedHeader(header as { alg: string })
    .setIssuer(over.iss ?? TOKEN_ISSUER)
    .setAudience(over.aud ?? TOKEN_AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (over.expiresIn ?? 900));
  const sub = "sub" in over ? over.sub : "account-1";
  if (sub !== undefined) jwt.setSubject(sub);
  return jwt.sign(over.key ?? privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const payload = () => {
  const now = Math.floor(Date.now() / 1000);
  return { iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: "account-1", name: "pilot", iat: now, exp: now + 900 };
};

const verifiers: [string, () => TokenVerifier][] = [
  ["JWKS over HTTP", () => createTokenVerifier({ keys: jwksUrl })],
  ["key set in process", () => createTokenVerifier({ keys: { keys: [publicJwk] } })],
];

for (const [source, make] of verifiers) {
  describe(`shared verifier, ${source}`, () => {
    const rejects = async (t: string | undefined) =>
      assert.rejects(make().verify(t), { code: "STARLANE_ERR_UNAUTHORIZED", status: 401 });

    test("a well-formed token is accepted (so the rejections below are not a broken setup)", async () => {
      const t = await token();
      const claims = await make().verify(t);
      assert.deepEqual({ ...claims, exp: 0, iat: 0 }, { sub: "account-1", name: "pilot", exp: 0, iat: 0 });
      // Issued at is passed on: login compares it with when the account's sessions were ended.
      const sent = JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()) as { iat: number };
      assert.equal(claims.iat, sent.iat);
    });

    test("alg none is rejected", async () => {
      await rejects(`${b64({ alg: "none", typ: ACCESS_TOKEN_TYPE, kid: KID })}.${b64(payload())}.`);
      await rejects(`${b64({ alg: "none", typ: ACCESS_TOKEN_TYPE })}.${b64(payload())}.`);
    });

    test("HS256 signed with the public key (the algorithm-confusion attack) is rejected", async () => {
      const head = `${b64({ alg: "HS256", typ: ACCESS_TOKEN_TYPE, kid: KID })}.${b64(payload())}`;
      for (const secret of [JSON.stringify(publicJwk), Buffer.from(publicJwk.x!, "base64url")]) {
        const sig = createHmac("sha256", secret).update(head).digest("base64url");
        await rejects(`${head}.${sig}`);
      }
    });

    test("an EdDSA token is rejected even though it is validly signed: the algorithm is pinned", async () => {
      const ed = await generateKeyPair("EdDSA");
      const edToken = await token({ alg: "EdDSA", key: ed.privateKey });
      const withEdKey = createTokenVerifier({
        keys: { keys: [publicJwk, { ...(await exportJWK(ed.publicKey)), kid: KID, alg: "EdDSA" }] },
      });
      await assert.rejects(withEdKey.verify(edToken), { code: "STARLANE_ERR_UNAUTHORIZED" });
    });

    test("wrong audience, wrong issuer, wrong or missing type are rejected", async () => {
      await rejects(await token({ aud: "someone-else" }));
      await rejects(await token({ iss: "evil-login" }));
      await rejects(await token({ typ: "refresh" }));
      await rejects(await token({ typ: "JWT" }));
      await rejects(await token({ typ: undefined }));
    });

    test("an unknown kid, a missing kid, or a signature from another key are rejected", async () => {
      await rejects(await token({ kid: "no-such-key" }));
      await rejects(await token({ kid: undefined }));
      const other = await generateKeyPair(TOKEN_ALGORITHM);
      await rejects(await token({ key: other.privateKey }));
    });

    test("an expired token is rejected; one within the clock tolerance is not", async () => {
      await rejects(await token({ expiresIn: -60 }));
      assert.equal((await make().verify(await token({ expiresIn: -2 }))).sub, "account-1");
    });

    test("missing subject, tampered payload, garbage, empty and oversized tokens are rejected", async () => {
      await rejects(await token({ sub: undefined }));
      const [h, , s] = (await token()).split(".");
      await rejects(`${h}.${b64({ ...payload(), sub: "account-2" })}.${s}`);
      for (const t of [undefined, "", "a.b.c", "not a token", "....", `${"x".repeat(5000)}.y.z`]) await rejects(t);
    });
  });
}

test("an unknown-kid flood fetches the JWKS at most once per cooldown", async () => {
  mock.timers.enable({ apis: ["Date"], now: Date.now() });
  try {
    fetches = 0;
    const verifier = createTokenVerifier({ keys: jwksUrl, cooldownMs: 30_000 });
    const good = await token();
    const unknown = await Promise.all(Array.from({ length: 50 }, (_, i) => token({ kid: `forged-${i}` })));
    await verifier.verify(good);
    assert.equal(fetches, 1);

    const flood = async () => {
      const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => verifier.verify(unknown[i % 50])));
      assert.ok(results.every((r) => r.status === "rejected"));
    };
    await flood();
    assert.equal(fetches, 1, "inside the cooldown nothing is refetched");
    mock.timers.tick(10_000);
    await flood();
    assert.equal(fetches, 1);

    mock.timers.tick(21_000); // past the cooldown: one refetch for the whole flood, then quiet again
    await flood();
    assert.equal(fetches, 2);
    await flood();
    assert.equal(fetches, 2);
    assert.equal((await verifier.verify(good)).sub, "account-1");
  } finally {
    mock.timers.reset();
  }
});

test("a JWKS outage: the last keys keep verifying, and fetch attempts stay at one per cooldown", async () => {
  mock.timers.enable({ apis: ["Date"], now: Date.now() });
  try {
    fetches = 0;
    const verifier = createTokenVerifier({ keys: jwksUrl, cooldownMs: 30_000, cacheMaxAgeMs: 60_000 });
    const good = await token({ expiresIn: 3600 });
    const forged = await token({ kid: "forged" });
    await verifier.verify(good);
    assert.equal(fetches, 1);

    jwksDown = true;
    mock.timers.tick(61_000); // the cached set is now too old: the next verify tries to refetch
    assert.equal((await verifier.verify(good)).sub, "account-1");
    assert.equal(fetches, 2);
    // One after another, so no two share an in-flight fetch: only the cooldown holds them back.
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      accepted += await verifier.verify(i % 2 ? good : forged).then(
        () => 1,
        () => 0,
      );
    }
    assert.equal(accepted, 50);
    assert.equal(fetches, 2, "no refetch inside the cooldown after a failure");

    mock.timers.tick(31_000);
    assert.equal((await verifier.verify(good)).sub, "account-1");
    assert.equal(fetches, 3);

    jwksDown = false;
    mock.timers.tick(31_000);
    assert.equal((await verifier.verify(good)).sub, "account-1");
    assert.equal(fetches, 4);
    await verifier.verify(good);
    assert.equal(fetches, 4, "fresh again: served from the cache");
  } finally {
    jwksDown = false;
    mock.timers.reset();
  }
});

test("a JWKS never reached: tokens get UNAVAILABLE (503), not UNAUTHORIZED; one fetch per cooldown", async () => {
  mock.timers.enable({ apis: ["Date"], now: Date.now() });
  try {
    fetches = 0;
    jwksDown = true;
    const verifier = createTokenVerifier({ keys: jwksUrl, cooldownMs: 30_000 });
    const good = await token();
    for (let i = 0; i < 50; i++) {
      await assert.rejects(verifier.verify(good), { code: "STARLANE_ERR_UNAVAILABLE", status: 503 });
    }
    // What is not a token at all is still the client's fault.
    await assert.rejects(verifier.verify("not.a.token"), { code: "STARLANE_ERR_UNAUTHORIZED" });
    assert.equal(fetches, 1);
    jwksDown = false;
    mock.timers.tick(31_000);
    assert.equal((await verifier.verify(good)).sub, "account-1");
    assert.equal(fetches, 2);
  } finally {
    jwksDown = false;
    mock.timers.reset();
  }
});

test("bearerToken reads only a well-formed Bearer header", () => {
  assert.equal(bearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
  assert.equal(bearerToken("bearer  abc.def.ghi "), "abc.def.ghi");
  for (const h of [undefined, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Bearer a,b"]) {
    assert.equal(bearerToken(h), undefined, String(h));
  }
});
