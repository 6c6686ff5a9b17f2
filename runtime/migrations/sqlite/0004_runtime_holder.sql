-- Who holds the database as its one `claw run` (at most one row, id = 1), so a second
-- `claw run` refused by the lock can name the holder. The lock itself is not this row: on
-- PostgreSQL it is a session advisory lock held on a connection of the holder's own (it dies
-- with that connection); on SQLite an exclusive lock on the file FILE.lock beside the
-- database, whose content names the holder (SQLite holders leave this table empty). A row
-- left by a killed holder is overwritten by the next one; `backend_pid` (the PostgreSQL
-- session holding the lock) tells a current row from a stale one.
CREATE TABLE IF NOT EXISTS runtime_holder (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    backend_pid BIGINT NOT NULL
);
