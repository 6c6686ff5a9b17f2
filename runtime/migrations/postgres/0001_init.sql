-- Runs: one row per accepted trigger. The UNIQUE key makes duplicate deliveries
-- (also concurrent ones, also from several processes) map to the first run.
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    scheduled_at BIGINT,
    finished_at BIGINT,
    UNIQUE (system, trigger_name, idempotency_key)
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_system_received ON runs (system, received_at);

-- The append-only event log. Rows are never updated; only retention deletes them.
CREATE TABLE IF NOT EXISTS events (
    seq BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL,
    system TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    step TEXT,
    attempt BIGINT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id, seq);
CREATE INDEX IF NOT EXISTS events_system_at ON events (system, at);

-- Timers: durable delays and retry back-offs (the outbox of the scheduler).
CREATE TABLE IF NOT EXISTS timers (
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, step, kind, attempt)
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);

-- Messages published to named queues (queue.publish, dead letters).
CREATE TABLE IF NOT EXISTS queue_messages (
    seq BIGSERIAL PRIMARY KEY,
    queue TEXT NOT NULL,
    system TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_messages_queue ON queue_messages (queue, seq);

-- Dead-lettered work, with its handling state.
CREATE TABLE IF NOT EXISTS dead_letters (
    id BIGSERIAL PRIMARY KEY,
    system TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    target TEXT NOT NULL,
    error TEXT NOT NULL,
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    UNIQUE (run_id, step)
);

-- Last handled fire time of each schedule trigger, for catch-up after downtime.
CREATE TABLE IF NOT EXISTS schedule_marks (
    system TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    last_fire BIGINT NOT NULL,
    PRIMARY KEY (system, trigger_name)
);

-- Source text of every system version the runtime loaded (replay and backfill read it).
CREATE TABLE IF NOT EXISTS system_sources (
    system TEXT NOT NULL,
    digest TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    path TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (system, digest)
);
