-- What message steps count for in analytics: one row per WABA, template (0 for a message
-- without one), phone number, UTC day (days since 1970-01-01), route, pricing category and
-- recipient country (ISO 3166-1 alpha-2),
-- each counter added to in the transaction that claims the step, so that a step counts once.
CREATE TABLE message_facts (
    waba_id BIGINT NOT NULL,
    template_id BIGINT NOT NULL,
    phone_number_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    route TEXT NOT NULL,
    category TEXT NOT NULL,
    country TEXT NOT NULL,
    sent BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    read BIGINT NOT NULL DEFAULT 0,
    clicked BIGINT NOT NULL DEFAULT 0,
    unique_clicked BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    cost_micros BIGINT NOT NULL DEFAULT 0,
    -- Conversions attributed to these messages (values in millionths of their currency).
    web_add_to_cart BIGINT NOT NULL DEFAULT 0,
    web_checkouts BIGINT NOT NULL DEFAULT 0,
    web_purchases BIGINT NOT NULL DEFAULT 0,
    web_purchase_value_micros BIGINT NOT NULL DEFAULT 0,
    app_activations BIGINT NOT NULL DEFAULT 0,
    app_add_to_cart BIGINT NOT NULL DEFAULT 0,
    app_checkouts BIGINT NOT NULL DEFAULT 0,
    app_purchases BIGINT NOT NULL DEFAULT 0,
    app_purchase_value_micros BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (waba_id, template_id, day, phone_number_id, route, category, country)
);
