-- 011_seed_model_prices: published OpenAI prices (USD) as of late 2026, from
-- docs/clickhouse.md (prices and cost) — standard tier, batch (50 %), flex (50 %) and priority.
--
-- valid_from 1970-01-01: these rows price all usage up to the first later-dated row for the same
-- model, tier and batch flag; record a price change as a new row with its own valid_from, and a
-- correction as a re-insert with a newer updated_at (see 010). updated_at is fixed so that running
-- this file again inserts rows identical to the first run, which ReplacingMergeTree collapses.
--
-- Modelling choices (each can be corrected by a later row):
--   * image input of vision-capable text models is priced at the model's text input rates (images
--     are billed as input tokens);
--   * cache writes are free (0) for every model listed here: billed cache writes start with
--     gpt-5.6, which is not priced yet; models without prompt caching have NULL cached/cache-write
--     rates, so any cached usage reported for them shows up as unpriced;
--   * rates the source does not give (e.g. gpt-audio-mini audio, priority image input) are NULL;
--   * data-residency uplift (10 % on regional hosts for models released from 2026-03-05) and
--     long-context bands are not modelled.

INSERT INTO tokenledger.model_prices
(model, service_tier, batch, valid_from,
 input_text_per_mtok, input_cached_text_per_mtok, input_cache_write_per_mtok,
 input_audio_per_mtok, input_cached_audio_per_mtok, input_image_per_mtok, input_cached_image_per_mtok,
 output_text_per_mtok, output_audio_per_mtok, output_image_per_mtok,
 audio_per_minute, characters_per_mchar, confidence, note, updated_at)
VALUES
-- Realtime and audio models
('gpt-realtime',                        'default', false, '1970-01-01', 4.00, 0.40, 0, 32.00, 0.40, 5.00, 0.50, 16.00, 64.00, NULL, NULL, NULL, 'high', 'text high; audio/image at launch rates (medium)', '2026-11-24 00:00:00'),
('gpt-realtime-1.5',                    'default', false, '1970-01-01', 4.00, 0.40, 0, 32.00, 0.40, 5.00, 0.50, 16.00, 64.00, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-realtime-2',                      'default', false, '1970-01-01', 4.00, 0.40, 0, 32.00, 0.40, 5.00, 0.50, 24.00, 64.00, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-realtime-mini',                   'default', false, '1970-01-01', 0.60, 0.06, 0, 10.00, 0.30, 0.80, 0.08, 2.40, 20.00, NULL, NULL, NULL, 'medium', 'snapshots 2025-10-06 and 2025-12-15', '2026-11-24 00:00:00'),
('gpt-realtime-2.1-mini',               'default', false, '1970-01-01', 0.60, 0.06, 0, 10.00, 0.30, 0.80, 0.08, 2.40, 20.00, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4o-realtime-preview',             'default', false, '1970-01-01', 5.00, 2.50, 0, 40.00, 2.50, NULL, NULL, 20.00, 80.00, NULL, NULL, NULL, 'high', 'snapshots 2024-12-17 and 2025-06-03; shut down', '2026-11-24 00:00:00'),
('gpt-4o-realtime-preview-2024-10-01',  'default', false, '1970-01-01', 5.00, 2.50, 0, 100.00, 20.00, NULL, NULL, 20.00, 200.00, NULL, NULL, NULL, 'medium', 'historical snapshot with its own audio rates', '2026-11-24 00:00:00'),
('gpt-4o-mini-realtime-preview',        'default', false, '1970-01-01', 0.60, 0.30, 0, 10.00, 0.30, NULL, NULL, 2.40, 20.00, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4o-transcribe',                   'default', false, '1970-01-01', 2.50, NULL, NULL, 6.00, NULL, NULL, NULL, 10.00, NULL, NULL, NULL, NULL, 'medium', 'audio input at the launch rate (about 0.006 USD/min)', '2026-11-24 00:00:00'),
('gpt-4o-mini-transcribe',              'default', false, '1970-01-01', 1.25, NULL, NULL, 3.00, NULL, NULL, NULL, 5.00, NULL, NULL, NULL, NULL, 'medium', 'about 0.003 USD/min', '2026-11-24 00:00:00'),
('gpt-4o-mini-tts',                     'default', false, '1970-01-01', 0.60, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 12.00, NULL, NULL, NULL, 'high', 'about 0.015 USD/min of speech', '2026-11-24 00:00:00'),
('whisper-1',                           'default', false, '1970-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.006, NULL, 'high', 'duration-billed', '2026-11-24 00:00:00'),
('gpt-transcribe',                      'default', false, '1970-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0045, NULL, 'high', 'duration-billed', '2026-11-24 00:00:00'),
('gpt-realtime-whisper',                'default', false, '1970-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.017, NULL, 'high', 'duration-billed', '2026-11-24 00:00:00'),
('tts-1',                               'default', false, '1970-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 15.00, 'medium', 'character-billed', '2026-11-24 00:00:00'),
('tts-1-hd',                            'default', false, '1970-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 30.00, 'medium', 'character-billed', '2026-11-24 00:00:00'),
-- Text, embedding and image models
('gpt-4o',                              'default', false, '1970-01-01', 2.50, 1.25, 0, NULL, NULL, 2.50, 1.25, 10.00, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4o-mini',                         'default', false, '1970-01-01', 0.15, 0.075, 0, NULL, NULL, 0.15, 0.075, 0.60, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4.1',                             'default', false, '1970-01-01', 2.00, 0.50, 0, NULL, NULL, 2.00, 0.50, 8.00, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4.1-mini',                        'default', false, '1970-01-01', 0.40, 0.10, 0, NULL, NULL, 0.40, 0.10, 1.60, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-4.1-nano',                        'default', false, '1970-01-01', 0.10, 0.025, 0, NULL, NULL, 0.10, 0.025, 0.40, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-5',                               'default', false, '1970-01-01', 1.25, 0.125, 0, NULL, NULL, 1.25, 0.125, 10.00, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-5-mini',                          'default', false, '1970-01-01', 0.25, 0.025, 0, NULL, NULL, 0.25, 0.025, 2.00, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-5-nano',                          'default', false, '1970-01-01', 0.05, 0.005, 0, NULL, NULL, 0.05, 0.005, 0.40, NULL, NULL, NULL, NULL, 'medium', '', '2026-11-24 00:00:00'),
('gpt-5.2',                             'default', false, '1970-01-01', 1.75, 0.175, 0, NULL, NULL, 1.75, 0.175, 14.00, NULL, NULL, NULL, NULL, 'medium', 'third-party price list', '2026-11-24 00:00:00'),
('gpt-5.4',                             'default', false, '1970-01-01', 2.50, 0.25, 0, NULL, NULL, 2.50, 0.25, 15.00, NULL, NULL, NULL, NULL, 'medium', 'third-party price list', '2026-11-24 00:00:00'),
('gpt-5.4-mini',                        'default', false, '1970-01-01', 0.75, 0.075, 0, NULL, NULL, 0.75, 0.075, 4.50, NULL, NULL, NULL, NULL, 'medium', 'third-party price list', '2026-11-24 00:00:00'),
('gpt-5.5',                             'default', false, '1970-01-01', 5.00, 0.50, 0, NULL, NULL, 5.00, 0.50, 30.00, NULL, NULL, NULL, NULL, 'medium', 'third-party price list', '2026-11-24 00:00:00'),
('o3',                                  'default', false, '1970-01-01', 2.00, 0.50, 0, NULL, NULL, 2.00, 0.50, 8.00, NULL, NULL, NULL, NULL, 'medium', 'after the June 2025 cut', '2026-11-24 00:00:00'),
('o4-mini',                             'default', false, '1970-01-01', 1.10, 0.275, 0, NULL, NULL, 1.10, 0.275, 4.40, NULL, NULL, NULL, NULL, 'medium', '', '2026-11-24 00:00:00'),
('o3-mini',                             'default', false, '1970-01-01', 1.10, 0.55, 0, NULL, NULL, NULL, NULL, 4.40, NULL, NULL, NULL, NULL, 'medium', 'no image input', '2026-11-24 00:00:00'),
('o1',                                  'default', false, '1970-01-01', 15.00, 7.50, 0, NULL, NULL, 15.00, 7.50, 60.00, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-audio-mini',                      'default', false, '1970-01-01', 0.60, NULL, NULL, NULL, NULL, NULL, NULL, 2.40, NULL, NULL, NULL, NULL, 'high', 'audio rates not captured', '2026-11-24 00:00:00'),
('text-embedding-3-small',              'default', false, '1970-01-01', 0.02, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('text-embedding-3-large',              'default', false, '1970-01-01', 0.13, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('text-embedding-ada-002',              'default', false, '1970-01-01', 0.10, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
('gpt-image-1',                         'default', false, '1970-01-01', 5.00, 1.25, 0, NULL, NULL, 10.00, 2.50, NULL, NULL, 40.00, NULL, NULL, 'medium', 'launch rates', '2026-11-24 00:00:00'),
('gpt-image-1-mini',                    'default', false, '1970-01-01', 2.00, 0.20, 0, NULL, NULL, 2.50, 0.25, NULL, NULL, 8.00, NULL, NULL, 'high', '', '2026-11-24 00:00:00'),
-- Priority processing: its own price list; image input not captured
('gpt-5',                               'priority', false, '1970-01-01', 2.50, 0.25, 0, NULL, NULL, NULL, NULL, 20.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-5-mini',                          'priority', false, '1970-01-01', 0.45, 0.045, 0, NULL, NULL, NULL, NULL, 3.60, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-4.1',                             'priority', false, '1970-01-01', 3.50, 0.875, 0, NULL, NULL, NULL, NULL, 14.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-5.1',                             'priority', false, '1970-01-01', 2.50, 0.25, 0, NULL, NULL, NULL, NULL, 20.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-5.2',                             'priority', false, '1970-01-01', 3.50, 0.35, 0, NULL, NULL, NULL, NULL, 28.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-5.4',                             'priority', false, '1970-01-01', 5.00, 0.50, 0, NULL, NULL, NULL, NULL, 30.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00'),
('gpt-5.5',                             'priority', false, '1970-01-01', 12.50, 1.25, 0, NULL, NULL, NULL, NULL, 75.00, NULL, NULL, NULL, NULL, 'high', 'priority list', '2026-11-24 00:00:00');

-- Batch API: 50 % of the standard rates for batch-eligible models (text and embeddings; Realtime
-- and most audio endpoints are not batchable).
INSERT INTO tokenledger.model_prices
(model, service_tier, batch, valid_from,
 input_text_per_mtok, input_cached_text_per_mtok, input_cache_write_per_mtok,
 input_audio_per_mtok, input_cached_audio_per_mtok, input_image_per_mtok, input_cached_image_per_mtok,
 output_text_per_mtok, output_audio_per_mtok, output_image_per_mtok,
 audio_per_minute, characters_per_mchar, confidence, note, updated_at)
SELECT
    model, 'default', true, valid_from,
    input_text_per_mtok / 2, input_cached_text_per_mtok / 2, input_cache_write_per_mtok / 2,
    input_audio_per_mtok / 2, input_cached_audio_per_mtok / 2, input_image_per_mtok / 2, input_cached_image_per_mtok / 2,
    output_text_per_mtok / 2, output_audio_per_mtok / 2, output_image_per_mtok / 2,
    audio_per_minute / 2, characters_per_mchar / 2, confidence, 'batch: 50 % of standard', toDateTime64('2026-11-24 00:00:00', 3, 'UTC')
FROM tokenledger.model_prices FINAL
WHERE service_tier = 'default' AND batch = false AND valid_from = '1970-01-01'
  AND model IN ('gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5', 'gpt-5-mini',
                'gpt-5-nano', 'gpt-5.2', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5', 'o3', 'o4-mini', 'o3-mini', 'o1',
                'text-embedding-3-small', 'text-embedding-3-large', 'text-embedding-ada-002');

-- Flex processing: priced like Batch (50 %), for o3, o4-mini and the gpt-5 family and later.
INSERT INTO tokenledger.model_prices
(model, service_tier, batch, valid_from,
 input_text_per_mtok, input_cached_text_per_mtok, input_cache_write_per_mtok,
 input_audio_per_mtok, input_cached_audio_per_mtok, input_image_per_mtok, input_cached_image_per_mtok,
 output_text_per_mtok, output_audio_per_mtok, output_image_per_mtok,
 audio_per_minute, characters_per_mchar, confidence, note, updated_at)
SELECT
    model, 'flex', false, valid_from,
    input_text_per_mtok / 2, input_cached_text_per_mtok / 2, input_cache_write_per_mtok / 2,
    input_audio_per_mtok / 2, input_cached_audio_per_mtok / 2, input_image_per_mtok / 2, input_cached_image_per_mtok / 2,
    output_text_per_mtok / 2, output_audio_per_mtok / 2, output_image_per_mtok / 2,
    audio_per_minute / 2, characters_per_mchar / 2, confidence, 'flex: 50 % of standard', toDateTime64('2026-11-24 00:00:00', 3, 'UTC')
FROM tokenledger.model_prices FINAL
WHERE service_tier = 'default' AND batch = false AND valid_from = '1970-01-01'
  AND model IN ('o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.2', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5');
