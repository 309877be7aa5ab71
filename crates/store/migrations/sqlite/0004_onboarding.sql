-- MM API onboarding requests (Intent API) and the mailbox of emails the platform sent.

-- `status` and `next_reminder_at` mirror the document, for the one-pending rule and reminders.
CREATE TABLE onboarding_requests (
    id INTEGER PRIMARY KEY,
    client_business_id INTEGER NOT NULL,
    partner_business_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    next_reminder_at INTEGER NULL,
    doc TEXT NOT NULL
);
-- At most one pending request per client business.
CREATE UNIQUE INDEX onboarding_requests_one_pending ON onboarding_requests (client_business_id)
    WHERE status = 'PENDING';
CREATE INDEX onboarding_requests_status_next_reminder_at
    ON onboarding_requests (status, next_reminder_at);

CREATE TABLE emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    business_id INTEGER NOT NULL,
    request_id INTEGER NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE INDEX emails_to_address ON emails (to_address);
