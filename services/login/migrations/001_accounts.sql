-- Accounts, refresh-token families and the JWT signing keys of the login service.
CREATE TABLE login_accounts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Names are unique ignoring case: "Pilot" and "pilot" are the same account.
CREATE UNIQUE INDEX login_accounts_name_lower ON login_accounts (lower(name));

-- A family is one session: the chain of refresh tokens from one log-in. Revoking it (log-out, or
-- reuse of a spent token) ends the session; rotation locks the family row, so a rotation racing a
-- revocation cannot slip a live token into a revoked family.
CREATE TABLE login_refresh_families (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES login_accounts (id) ON DELETE CASCADE,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_refresh_families_account ON login_refresh_families (account_id);

-- Opaque refresh tokens, stored as SHA-256 only. Each use marks the row used and adds its successor
-- to the family; presenting a used token again revokes the family.
CREATE TABLE login_refresh_tokens (
  token_hash bytea PRIMARY KEY,
  family_id uuid NOT NULL REFERENCES login_refresh_families (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_refresh_tokens_family ON login_refresh_tokens (family_id);
CREATE INDEX login_refresh_tokens_expires ON login_refresh_tokens (expires_at);

-- Signing keys survive restarts so a restart does not log everyone out. The newest row is the
-- current key; the one before it is still published in the JWKS until the next rotation.
CREATE TABLE login_signing_keys (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kid text NOT NULL UNIQUE,
  alg text NOT NULL,
  private_jwk jsonb NOT NULL,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
