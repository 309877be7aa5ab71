-- MM API Insights synced from each client's ad account with its business token: one row per
-- WABA, ad (the template's mirror in the account) and UTC day (its start, Unix seconds),
-- replaced by each sync with Meta's figures.
CREATE TABLE ad_insights (
    waba_id TEXT NOT NULL,
    ad_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    template_id TEXT NULL,
    ad_name TEXT NOT NULL,
    sent INTEGER NOT NULL,
    delivered INTEGER NOT NULL,
    read INTEGER NOT NULL,
    clicked INTEGER NOT NULL,
    spend REAL NOT NULL,
    currency TEXT NULL,
    delivery_rate REAL NULL,
    read_rate REAL NULL,
    click_rate REAL NULL,
    PRIMARY KEY (waba_id, ad_id, day)
);
CREATE INDEX ad_insights_day ON ad_insights (day);
