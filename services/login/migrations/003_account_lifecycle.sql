-- Account lifecycle: operator bans, "every session before this instant is over" (password change,
-- log out everywhere), and the audit log of operator actions.
ALTER TABLE login_accounts ADD COLUMN banned_at timestamptz;
ALTER TABLE login_accounts ADD COLUMN ban_reason text;
-- Access tokens issued before this are refused at world entry (refresh tokens are revoked outright).
ALTER TABLE login_accounts ADD COLUMN sessions_valid_after timestamptz;

-- Who did what to what, and when. `actor` is the name the operator gave (X-Starlane-Operator):
-- there is one shared operator credential, so the name is declared, not proven; `ip` is where the
-- request came from. Rows are only ever inserted.
CREATE TABLE login_operator_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  ip text NOT NULL,
  action text NOT NULL,
  target text,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX login_operator_audit_at ON login_operator_audit (at);
