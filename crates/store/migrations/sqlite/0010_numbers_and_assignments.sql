-- System users assigned to WABAs (`/{waba-id}/assigned_users`). A phone number's codes,
-- profile and settings live in its document and need no column.
CREATE TABLE waba_assignments (
    waba_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    business_id INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (waba_id, user_id)
);
CREATE INDEX waba_assignments_user ON waba_assignments (user_id, waba_id);
