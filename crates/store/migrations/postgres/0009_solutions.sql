-- Multi-Partner Solutions and the migration intents (on-behalf-of requests) that move a WABA
-- onto one.

-- The apps mirror the document, for an app's list of the solutions it is a party to.
CREATE TABLE solutions (
    id BIGINT PRIMARY KEY,
    owner_app_id BIGINT NOT NULL,
    partner_app_id BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX solutions_owner_app ON solutions (owner_app_id);
CREATE INDEX solutions_partner_app ON solutions (partner_app_id);

-- `status` and `scheduled_at` mirror the document, for the one-in-progress rule and the
-- scheduled completions.
CREATE TABLE migration_intents (
    id BIGINT PRIMARY KEY,
    waba_id BIGINT NOT NULL,
    solution_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    scheduled_at BIGINT NULL,
    doc TEXT NOT NULL
);
-- At most one intent in progress per WABA.
CREATE UNIQUE INDEX migration_intents_one_open ON migration_intents (waba_id)
    WHERE status IN ('INITIATED', 'ACCEPTED');
CREATE INDEX migration_intents_waba ON migration_intents (waba_id, id);
CREATE INDEX migration_intents_scheduled ON migration_intents (status, scheduled_at);
