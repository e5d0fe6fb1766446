-- Player ships, the trade ledger and region ownership epochs (component "persistence").

-- The current owner's epoch per region. Only grows; a write carrying an older epoch is rejected.
CREATE TABLE region_epochs (
  region text PRIMARY KEY,
  epoch bigint NOT NULL CHECK (epoch >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per player ship: the last committed state. `version` only grows (write-behind replaces a
-- row only with a newer version); `epoch` is the ownership epoch of the last writer;
-- `ledger_version` counts the trades and sales applied to credits and cargo.
CREATE TABLE characters (
  player_id text PRIMARY KEY,
  name text NOT NULL,
  region text NOT NULL,
  x double precision NOT NULL,
  y double precision NOT NULL,
  vx double precision NOT NULL DEFAULT 0,
  vy double precision NOT NULL DEFAULT 0,
  heading double precision NOT NULL DEFAULT 0,
  hull double precision NOT NULL,
  cargo bigint NOT NULL CHECK (cargo >= 0),
  credits bigint NOT NULL CHECK (credits >= 0),
  version bigint NOT NULL CHECK (version >= 0),
  epoch bigint NOT NULL CHECK (epoch >= 0),
  ledger_version bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
-- Free space on each page lets the every-second update of a ship stay a heap-only (HOT) update:
-- no new index entry per write.

-- One row per applied trade or sale, keyed by the caller's idempotency key: a retry finds it and
-- gets the same answer instead of applying twice.
CREATE TABLE trades (
  key text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('sell', 'trade')),
  -- Everything the request said, to refuse a key reused for a different request.
  request jsonb NOT NULL,
  result jsonb NOT NULL,
  region text NOT NULL,
  epoch bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Double entry: every trade's rows sum to zero in credits and in ore. A party is a player id or
-- `station:<id>`.
CREATE TABLE ledger (
  id bigserial PRIMARY KEY,
  trade_key text NOT NULL REFERENCES trades (key),
  party text NOT NULL,
  credits_delta bigint NOT NULL,
  ore_delta bigint NOT NULL
);
CREATE INDEX ledger_party ON ledger (party);
CREATE INDEX ledger_trade ON ledger (trade_key);
