-- Digests (`data.digests`, the `digest.*` operations): one row per entry appended, oldest
-- first by `seq`. `release_key` is the idempotency key of the step that released the entry
-- (NULL while it is pending): it is set in the same transaction that reads the pending entries
-- and remembers the step's output (in `state_applied`), so an entry is released exactly once.
-- Digest names are not per system: a Zapier digest title is shared by the Zaps of an account.
CREATE TABLE IF NOT EXISTS digest_entries (
    seq BIGSERIAL PRIMARY KEY,
    digest TEXT NOT NULL,
    entry TEXT NOT NULL,
    system TEXT NOT NULL,
    run_id TEXT NOT NULL,
    appended_at BIGINT NOT NULL,
    release_key TEXT,
    released_at BIGINT
);
CREATE INDEX IF NOT EXISTS digest_entries_pending ON digest_entries (digest, release_key, seq);
