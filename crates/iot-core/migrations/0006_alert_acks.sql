-- Who acknowledged a firing alert: kept for the firing that started at `since` (ms), so
-- every instance shows it and the evaluator stops reminding, until the alert resolves.
CREATE TABLE IF NOT EXISTS alert_acks (
    rule TEXT NOT NULL,
    device TEXT NOT NULL,
    since BIGINT NOT NULL,
    by_name TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (rule, device)
);
