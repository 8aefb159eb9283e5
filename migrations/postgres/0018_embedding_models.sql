-- Embedding models (issue 17): served through the model router's `/v1/embeddings` only.
ALTER TABLE ai_models DROP CONSTRAINT ai_models_kind_check;
ALTER TABLE ai_models ADD CONSTRAINT ai_models_kind_check
    CHECK (kind IN ('llm', 'image', 'video', 'tts', 'asr', 'embedding'));
