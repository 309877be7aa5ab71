-- The world: aggregates as JSON documents beside the key columns lookups use.

CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX apps_business_id ON apps (business_id);

CREATE TABLE businesses (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE system_users (
    id INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX system_users_business_id ON system_users (business_id);

CREATE TABLE wabas (
    id INTEGER PRIMARY KEY,
    owner_business_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX wabas_owner_business_id ON wabas (owner_business_id);

-- Index of Waba.partners, rewritten whenever a WABA is put.
CREATE TABLE waba_partners (
    waba_id INTEGER NOT NULL,
    partner_business_id INTEGER NOT NULL,
    access TEXT NOT NULL,
    PRIMARY KEY (waba_id, partner_business_id)
);
CREATE INDEX waba_partners_partner_business_id ON waba_partners (partner_business_id);

CREATE TABLE phone_numbers (
    id INTEGER PRIMARY KEY,
    waba_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX phone_numbers_waba_id ON phone_numbers (waba_id);

CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    waba_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    doc TEXT NOT NULL,
    CONSTRAINT templates_name_language UNIQUE (waba_id, name, language)
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    business_id INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX tokens_app_id ON tokens (app_id);

CREATE TABLE subscriptions (
    waba_id INTEGER NOT NULL,
    app_id INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (waba_id, app_id)
);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Small settings: seed, id counter, clock state.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
