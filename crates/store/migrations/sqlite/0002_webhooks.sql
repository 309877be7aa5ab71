-- Webhooks: apps' subscriptions (part of the world), and the delivery outbox with its attempts.

CREATE TABLE app_subscriptions (
    app_id INTEGER NOT NULL,
    object TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (app_id, object)
);

-- One row per delivery to one endpoint; `value` is the JSON of `changes[].value`.
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    object_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    include_time BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT
);
CREATE INDEX webhook_outbox_status_next_attempt_at ON webhook_outbox (status, next_attempt_at);

CREATE TABLE webhook_attempts (
    outbox_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    response_snippet TEXT NOT NULL,
    PRIMARY KEY (outbox_id, attempt)
);
