-- IoT Center's own state. One dialect for SQLite and PostgreSQL: TEXT, BIGINT, IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dashboards (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    dashboard TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    spec TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    PRIMARY KEY (dashboard, version)
);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    dashboard TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_pages (
    dashboard TEXT PRIMARY KEY REFERENCES dashboards(id) ON DELETE CASCADE,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
