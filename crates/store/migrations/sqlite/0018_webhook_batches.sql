-- Webhook deliveries are stored a batch to a row: the webhooks that commits enqueued together
-- for one app's endpoint, delivered in one POST (Meta sends up to 1,000 changes in one) and
-- recorded with one attempt row and one outcome. Items are numbered consecutively from the
-- batch's ID, so an item's outbox ID is its batch's ID plus its place in `items`, a JSON array
-- of `[object_id, field, value, time_ms, include_time]`. A batch is due when its latest item
-- is (`next_attempt_at`) and was created with its earliest (`created_at`).
CREATE TABLE webhook_batches (
    id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL CHECK (n > 0),
    app_id INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    items TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT
);

-- Every row of the old outbox becomes a batch of one under its own ID, so IDs already shown
-- stay valid, and its attempts (keyed by that ID) stay attached.
INSERT INTO webhook_batches (id, n, app_id, endpoint, items, status, attempts,
    next_attempt_at, lease_until, created_at, delivered_at, last_error)
SELECT id, 1, app_id, endpoint,
    json_array(json_array(object_id, field, json(value), time_ms,
        CASE WHEN include_time THEN json('true') ELSE json('false') END)),
    status, attempts, next_attempt_at, lease_until, created_at, delivered_at, last_error
FROM webhook_outbox;

-- Outbox IDs are handed out from a counter in `meta`, a range per commit; it continues after
-- the old table's highest ID.
INSERT INTO meta (key, value)
SELECT 'webhook_outbox_ids', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM webhook_outbox WHERE true
ON CONFLICT (key) DO NOTHING;

DROP TABLE webhook_outbox;

-- Claims walk only the pending batches nobody holds, and the held ones whose lease ran out.
CREATE INDEX webhook_batches_unleased ON webhook_batches (id)
    WHERE status = 'pending' AND lease_until IS NULL;
CREATE INDEX webhook_batches_leased ON webhook_batches (lease_until)
    WHERE status = 'pending' AND lease_until IS NOT NULL;
-- When the next pending batch falls due.
CREATE INDEX webhook_batches_due ON webhook_batches (next_attempt_at) WHERE status = 'pending';
