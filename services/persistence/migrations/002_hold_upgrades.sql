-- Upgrades bought through the ledger: the hold's level (each level adds cargo capacity). Owned by
-- the ledger: the write-behind batch inserts it for a new row but never overwrites it.
ALTER TABLE characters ADD COLUMN hold_level integer NOT NULL DEFAULT 0 CHECK (hold_level >= 0);
ALTER TABLE trades DROP CONSTRAINT trades_kind_check;
ALTER TABLE trades ADD CONSTRAINT trades_kind_check CHECK (kind IN ('sell', 'trade', 'buy'));
