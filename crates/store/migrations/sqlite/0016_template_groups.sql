-- Named groups of a WABA's templates (POST /{waba-id}/template_groups), whose analytics are
-- reported together.
CREATE TABLE template_groups (
    id INTEGER PRIMARY KEY,
    waba_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX template_groups_waba_id ON template_groups (waba_id);
