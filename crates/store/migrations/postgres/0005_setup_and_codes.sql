-- MM API setup completions owed a webhook, and Embedded Signup's authorization codes.

-- Mirrors `mm_setup_complete_at` while the WABA's `MM_LITE_TERMS_SIGNED` webhook is owed.
ALTER TABLE wabas ADD COLUMN setup_pending_at BIGINT NULL;
CREATE INDEX wabas_setup_pending_at ON wabas (setup_pending_at)
    WHERE setup_pending_at IS NOT NULL;

-- Single-use codes, stored by hash; `used_at` is set once, by a guarded update.
CREATE TABLE auth_codes (
    hash TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL,
    used_at BIGINT NULL,
    doc TEXT NOT NULL
);
