-- Claims look only at pending rows; delivered history must not slow them down.
CREATE INDEX webhook_outbox_pending ON webhook_outbox (id) WHERE status = 'pending';
