-- MM API Insights synced from each client's ad account with its business token: one row per
-- WABA, ad (the template's mirror in the account) and UTC day (its start, Unix seconds),
-- replaced by each sync with Meta's figures.
CREATE TABLE ad_insights (
    waba_id TEXT NOT NULL,
    ad_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    template_id TEXT NULL,
    ad_name TEXT NOT NULL,
    sent BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    read BIGINT NOT NULL,
    clicked BIGINT NOT NULL,
    spend DOUBLE PRECISION NOT NULL,
    currency TEXT NULL,
    delivery_rate DOUBLE PRECISION NULL,
    read_rate DOUBLE PRECISION NULL,
    click_rate DOUBLE PRECISION NULL,
    PRIMARY KEY (waba_id, ad_id, day)
);
CREATE INDEX ad_insights_day ON ad_insights (day);
