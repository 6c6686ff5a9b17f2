-- State stores (`data.state`, the `state.*` operations): one row per entry of a system's
-- store, the value as JSON text. `expires_at` (milliseconds) comes from the store's `ttl`;
-- an entry past it reads as absent and is overwritten by the next write.
CREATE TABLE IF NOT EXISTS state_entries (
    system TEXT NOT NULL,
    store TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (system, store, entry_key)
);
-- The `state.*` operations applied, by the step's idempotency key, with the output they gave:
-- written in the same transaction as the entries, so a retried or re-driven step gets the
-- remembered output instead of applying twice.
CREATE TABLE IF NOT EXISTS state_applied (
    system TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    output TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (system, idempotency_key)
);
