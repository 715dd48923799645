-- 007_api_key_map: fingerprint -> OpenAI api_key_id.
--
-- The agent never records an API key, only tokenledger.api_key.fingerprint (key class + last
-- characters, docs/attribution.md). OpenAI's usage export groups by api_key_id (key_…). This table
-- maps one to the other, within a project because fingerprints can collide across projects; it is
-- filled from OpenAI's project API-key listing (redacted_value) or by hand. Views join it at query
-- time, so a mapping added later applies to all past usage.
--
-- ReplacingMergeTree(updated_at, is_deleted): re-inserting a mapping with a newer updated_at
-- replaces it, is_deleted = 1 retires it; read with FINAL.

-- cluster: replicate_everywhere
CREATE TABLE IF NOT EXISTS tokenledger.api_key_map
(
    project_id          String COMMENT 'OpenAI project id (proj_…) the key belongs to; empty when the app sends none',
    api_key_fingerprint String COMMENT 'tokenledger.api_key.fingerprint as the agent computes it',
    api_key_id          String COMMENT 'OpenAI api_key_id (key_…) as in the usage export',
    api_key_name        String DEFAULT '',
    redacted_value      String DEFAULT '' COMMENT 'as OpenAI lists it, for audit',
    updated_at          DateTime64(3, 'UTC') DEFAULT now64(3),
    is_deleted          UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(updated_at, is_deleted)
ORDER BY (project_id, api_key_fingerprint);
