-- Failed sign-ins per account name and per client address, counted across instances.
CREATE TABLE IF NOT EXISTS sign_in_failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    failures BIGINT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
