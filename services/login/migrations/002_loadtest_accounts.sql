-- Load-test accounts, made in bulk by POST /v1/operator/accounts. They have no password (NULL
-- hash: a log-in with any password is refused as for an unknown account) and sign in only with the
-- tokens they were issued. The flag lets an operator find and remove them.
ALTER TABLE login_accounts ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE login_accounts ADD COLUMN loadtest boolean NOT NULL DEFAULT false;
-- Every account with a password is a real one; a load-test account never has one.
ALTER TABLE login_accounts ADD CONSTRAINT login_accounts_password_or_loadtest
  CHECK ((password_hash IS NULL) = loadtest);
CREATE INDEX login_accounts_loadtest ON login_accounts (created_at) WHERE loadtest;
