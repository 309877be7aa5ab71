-- What the partner knows of its client businesses and their WABAs (documents keyed by Graph
-- ID), the business tokens it holds (sealed), the messages it sent, and each template's
-- category as the last webhook told it.
CREATE TABLE businesses (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    -- The onboarding request, written once: a re-run never asks twice.
    request TEXT NULL
);
CREATE TABLE wabas (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX wabas_business ON wabas (business_id);
CREATE TABLE tokens (
    business_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    waba_id TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX messages_waba_status ON messages (waba_id, status);
CREATE TABLE template_categories (
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    PRIMARY KEY (waba_id, name, language)
);
