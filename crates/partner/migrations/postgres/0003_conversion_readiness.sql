-- Conversions synced with the template analytics (a JSON object of Meta's conversion
-- metrics; NULL on rows synced before this column existed, read as zeros).
ALTER TABLE template_metrics ADD COLUMN conversions TEXT NULL;

-- When the orchestrator first saw each template, and whether its WABA was onboarded to MM API
-- then: Graph has no creation time for templates, and Meta measures no conversions for
-- templates that existed before onboarding.
CREATE TABLE template_sightings (
    waba_id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    before_onboarding BOOLEAN NOT NULL,
    PRIMARY KEY (waba_id, template_id)
);

-- The last conversion readiness check of each client business (a JSON document).
CREATE TABLE readiness (
    business_id TEXT PRIMARY KEY,
    checked_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
