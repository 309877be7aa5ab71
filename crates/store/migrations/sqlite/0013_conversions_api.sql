-- The Conversions API side of conversion measurement.

-- The click index: each link click of a message, by its click ID (fbclid) and by the opaque
-- campaign_ids value an app deep link carries, written in the transaction that takes the
-- click step, so an event carrying either finds its message in one lookup.
CREATE TABLE message_clicks (
    fbclid TEXT PRIMARY KEY,
    campaign_ids TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    waba_id INTEGER NOT NULL,
    at INTEGER NOT NULL
);

-- Meta Pixels (datasets). `dataset_business_id` is the owner of a pixel that
-- POST /{waba-id}/dataset created: a business has at most one such dataset.
CREATE TABLE pixels (
    id INTEGER PRIMARY KEY,
    owner_business_id INTEGER NOT NULL,
    dataset_business_id INTEGER NULL,
    doc TEXT NOT NULL
);
CREATE INDEX pixels_owner ON pixels (owner_business_id, id);
CREATE UNIQUE INDEX pixels_one_dataset ON pixels (dataset_business_id);

-- Event IDs a pixel has seen, by event name, for deduplication: a later event with the same
-- ID and name within the window is not counted again.
CREATE TABLE pixel_event_ids (
    pixel_id INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (pixel_id, event_name, event_id)
);

-- Events pixels received, for the control API; IDs order a pixel's events by arrival.
CREATE TABLE pixel_events (
    id TEXT PRIMARY KEY,
    pixel_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX pixel_events_pixel ON pixel_events (pixel_id, id);
