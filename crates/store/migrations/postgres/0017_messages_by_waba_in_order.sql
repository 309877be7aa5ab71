-- A WABA's messages in the order they were accepted, for reading them all page by page. The
-- index by (WABA, wamid) it replaces was keyed by scattered text (a wamid begins with its
-- recipient's number), so every send touched a leaf page of its own. PostgreSQL has no row
-- numbers: a column named as SQLite's `rowid` numbers the rows as they are inserted, so that
-- both engines page with the same statement.
ALTER TABLE messages ADD COLUMN rowid BIGSERIAL;
DROP INDEX messages_waba;
CREATE INDEX messages_waba ON messages (waba_id, rowid);
