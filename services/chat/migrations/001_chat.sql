-- Chat history (the last messages of each channel, sent on join), players' own mute and block
-- lists, and operator mutes. Names are kept in lower case: they are unique ignoring case, and chat
-- addresses players by name.
CREATE TABLE chat_messages (
  seq bigserial PRIMARY KEY,
  channel text NOT NULL,
  sender_id text NOT NULL,
  sender_name text NOT NULL,
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_channel_seq ON chat_messages (channel, seq DESC);

-- `owner` hides `target`'s messages (mute), or also refuses their whispers (block).
CREATE TABLE chat_relations (
  owner text NOT NULL,
  target text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('mute', 'block')),
  PRIMARY KEY (owner, target)
);

CREATE TABLE chat_operator_mutes (
  name text PRIMARY KEY,
  until timestamptz NOT NULL
);
