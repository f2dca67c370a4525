-- Devices that asked for their configuration and wait for an operator's approval.
CREATE TABLE IF NOT EXISTS pending_devices (
    id TEXT PRIMARY KEY,
    first_request TEXT NOT NULL,
    last_request TEXT NOT NULL,
    requests BIGINT NOT NULL
);
