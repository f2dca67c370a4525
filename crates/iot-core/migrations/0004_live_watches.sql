-- The devices each instance's pages watch live, so the others relay those devices' points.
CREATE TABLE IF NOT EXISTS live_watches (
    instance TEXT PRIMARY KEY,
    devices TEXT NOT NULL,
    expires BIGINT NOT NULL
);
