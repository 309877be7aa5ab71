-- A WABA's messages in the order they were accepted, for reading them all page by page. The
-- index by (WABA, wamid) it replaces was keyed by scattered text (a wamid begins with its
-- recipient's number), so every send touched a leaf page of its own; this one ends with the
-- rowid, so a WABA's new messages land together at its end.
DROP INDEX messages_waba;
CREATE INDEX messages_waba ON messages (waba_id);
