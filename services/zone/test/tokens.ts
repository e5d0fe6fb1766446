// Real access tokens for tests: a key pair of the login service's algorithm made here, tokens signed the way the login
// service signs them, and a verifier that trusts only this key set.
import { randomUUID } from "node:crypto";
import {
  ACCESS_TOKEN_TYPE,
  createTokenVerifier,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type TokenVerifier,
} from "@starlane/shared";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";

export interface TestTokens {
  verifier: TokenVerifier;
  /** The public key set the verifier trusts (for zone child processes). */
  jwks: { keys: Record<string, unknown>[] };
  /** A valid access token for `sub` (a fresh id if omitted). */
  sign(claims?: { sub?: string; name?: string; expiresIn?: string }): Promise<string>;
  /** A token signed by a key the verifier does not know. */
  signForeign(sub?: string): Promise<string>;
}

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: "sig" };
  return { privateKey, publicJwk };
}

function signer(privateKey: CryptoKey, kid: string) {
  return ({
    sub = randomUUID() as string,
    name = "pilot",
    expiresIn = "15m",
  }: {
    sub?: string;
    name?: string;
    expiresIn?: string;
  } = {}) =>
    new SignJWT({ name })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey);
}

export async function testTokens(): Promise<TestTokens> {
  const ours = await keyPair("test-key-1");
  const foreign = await keyPair("test-key-1");
  return {
    verifier: createTokenVerifier({ keys: { keys: [ours.publicJwk] } }),
    jwks: { keys: [ours.publicJwk] },
    sign: signer(ours.privateKey, "test-key-1"),
    signForeign: (sub) => signer(foreign.privateKey, "test-key-1")({ sub }),
  };
}
