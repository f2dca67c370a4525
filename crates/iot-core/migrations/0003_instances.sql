-- The instances sharing this database (a heartbeat each), the leases that let one of them
-- do a job (the alert evaluator), and the alert notifications, logged before they are sent.
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    address TEXT NOT NULL,
    started BIGINT NOT NULL,
    seen BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS notification_log (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    body TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    created BIGINT NOT NULL,
    sent BIGINT
);
