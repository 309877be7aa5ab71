-- A client's requests are read for every WABA node rendered (its portfolio's terms status);
-- the partial index above holds pending rows only, so decided ones were found by a full scan.
CREATE INDEX onboarding_requests_client ON onboarding_requests (client_business_id, id);
