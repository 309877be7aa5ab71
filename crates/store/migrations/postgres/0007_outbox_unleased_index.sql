-- Claims walk only the pending rows nobody holds, and the held ones whose lease ran out, so
-- the rows in flight (thousands under load) do not slow every claim down.
CREATE INDEX webhook_outbox_unleased ON webhook_outbox (id)
    WHERE status = 'pending' AND lease_until IS NULL;
CREATE INDEX webhook_outbox_leased ON webhook_outbox (lease_until)
    WHERE status = 'pending' AND lease_until IS NOT NULL;
