-- Facts are also kept by the day in the sending WABA's time zone (template analytics'
-- use_waba_timezone): the key gains local_day. Existing rows had no zone: their local day is
-- their UTC day.
ALTER TABLE message_facts ADD COLUMN local_day BIGINT;
UPDATE message_facts SET local_day = day;
ALTER TABLE message_facts ALTER COLUMN local_day SET NOT NULL;
ALTER TABLE message_facts DROP CONSTRAINT message_facts_pkey;
ALTER TABLE message_facts ADD PRIMARY KEY
    (waba_id, template_id, day, local_day, phone_number_id, route, category, country);
CREATE INDEX message_facts_by_local_day ON message_facts (waba_id, local_day);
