-- Where an ad object's ID leads: the ad account of a WABA (linked, or disabled by offboarding)
-- and the campaign, ad set and ad of each MARKETING template's chain. Rows are written when
-- the WABA or template is put; a row whose object no longer carries the ID is stale and read
-- as unknown.
CREATE TABLE ad_objects (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    waba_id BIGINT NOT NULL,
    template_id BIGINT
);
