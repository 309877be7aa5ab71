-- Template analytics synced from Graph: one row per WABA, template, UTC day (its start, Unix
-- seconds) and product (MM API or Cloud API), replaced by each sync with Meta's figures.
CREATE TABLE template_metrics (
    waba_id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    product TEXT NOT NULL,
    template_name TEXT NOT NULL,
    sent INTEGER NOT NULL,
    delivered INTEGER NOT NULL,
    read INTEGER NOT NULL,
    clicked INTEGER NOT NULL,
    cost REAL NULL,
    PRIMARY KEY (waba_id, template_id, day, product)
);
CREATE INDEX template_metrics_day ON template_metrics (day);
