-- Facts are also kept by the day in the sending WABA's time zone (template analytics'
-- use_waba_timezone): the key gains local_day. Existing rows had no zone: their local day is
-- their UTC day.
CREATE TABLE message_facts_by_zone (
    waba_id INTEGER NOT NULL,
    template_id INTEGER NOT NULL,
    phone_number_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    local_day INTEGER NOT NULL,
    route TEXT NOT NULL,
    category TEXT NOT NULL,
    country TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    read INTEGER NOT NULL DEFAULT 0,
    clicked INTEGER NOT NULL DEFAULT 0,
    unique_clicked INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL DEFAULT 0,
    web_add_to_cart INTEGER NOT NULL DEFAULT 0,
    web_checkouts INTEGER NOT NULL DEFAULT 0,
    web_purchases INTEGER NOT NULL DEFAULT 0,
    web_purchase_value_micros INTEGER NOT NULL DEFAULT 0,
    app_activations INTEGER NOT NULL DEFAULT 0,
    app_add_to_cart INTEGER NOT NULL DEFAULT 0,
    app_checkouts INTEGER NOT NULL DEFAULT 0,
    app_purchases INTEGER NOT NULL DEFAULT 0,
    app_purchase_value_micros INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (waba_id, template_id, day, local_day, phone_number_id, route, category, country)
);
INSERT INTO message_facts_by_zone
SELECT waba_id, template_id, phone_number_id, day, day, route, category, country, sent,
    delivered, read, clicked, unique_clicked, failed, cost_micros, web_add_to_cart,
    web_checkouts, web_purchases, web_purchase_value_micros, app_activations, app_add_to_cart,
    app_checkouts, app_purchases, app_purchase_value_micros
FROM message_facts;
DROP TABLE message_facts;
ALTER TABLE message_facts_by_zone RENAME TO message_facts;
CREATE INDEX message_facts_by_local_day ON message_facts (waba_id, local_day);
