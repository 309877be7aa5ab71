-- A WABA's messages in ID order, for reading them all page by page (the metrics benchmark's
-- plain scan, and any export of a WABA's messages).
CREATE INDEX messages_waba ON messages (waba_id, id);
