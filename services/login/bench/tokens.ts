// Token cost, ES256 vs EdDSA, with jose on this machine: µs per sign and per verify (the shared
// verifier's path: jwtVerify with a local JWKS, pinned alg, iss/aud/typ/exp checks). Baseline in the
// same run: a SHA-256 of the same token, so a busy shared machine shows up in both columns.
//   node --conditions=starlane-source --import tsx services/login/bench/tokens.ts [rounds]
import { createHash } from "node:crypto";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";

const ROUNDS = Number(process.argv[2] ?? 5);
const N = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;

async function timeEach(n: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

async function bench(alg: "ES256" | "EdDSA") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg, use: "sig" };
  const jwks = createLocalJWKSet({ keys: [jwk] });
  const sign = () =>
    new SignJWT({ name: "pilot_1" })
      .setProtectedHeader({ alg, kid: "k1", typ: "access" })
      .setIssuer("starlane-login")
      .setAudience("starlane")
      .setSubject("0b0c7d3e-8a55-4d6c-9a51-5d2f1e3c4b5a")
      .setIssuedAt()
      .setExpirationTime("15m")
      .sign(privateKey);
  const token = await sign();
  const verify = () =>
    jwtVerify(token, jwks, { algorithms: [alg], issuer: "starlane-login", audience: "starlane", typ: "access" });
  await timeEach(200, sign); // warm up
  await timeEach(200, verify);
  return { sign: await timeEach(N, sign), verify: await timeEach(N, verify), length: token.length, token };
}

const rows: Record<string, { sign: number[]; verify: number[]; base: number[] }> = {
  ES256: { sign: [], verify: [], base: [] },
  EdDSA: { sign: [], verify: [], base: [] },
};
for (let r = 0; r < ROUNDS; r++) {
  for (const alg of ["ES256", "EdDSA"] as const) {
    const b = await bench(alg);
    rows[alg]!.sign.push(...b.sign);
    rows[alg]!.verify.push(...b.verify);
    rows[alg]!.base.push(...(await timeEach(N, () => createHash("sha256").update(b.token).digest())));
    if (r === 0) console.log(`${alg}: token ${b.length} bytes`);
  }
}
console.log(`rounds ${ROUNDS} x ${N} ops, interleaved; µs per op (median / p99); machine shared with other work`);
for (const [alg, r] of Object.entries(rows)) {
  console.log(
    `${alg.padEnd(6)} sign ${median(r.sign).toFixed(1)} / ${p99(r.sign).toFixed(1)}   verify ${median(r.verify).toFixed(1)} / ${p99(r.verify).toFixed(1)}   baseline sha256 ${median(r.base).toFixed(2)}`,
  );
}
