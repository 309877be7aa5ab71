-- Messages accepted for sending. `next_at` mirrors the document's next planned step, for the
-- lifecycle scheduler; `steps_done` is claimed by a guarded update, one step at a time.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    waba_id BIGINT NOT NULL,
    steps_done INTEGER NOT NULL,
    next_at BIGINT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX messages_next_at ON messages (next_at) WHERE next_at IS NOT NULL;
