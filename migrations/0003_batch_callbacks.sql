-- docket's register, version 3: the delivery of a batch's callback.
-- A batch with a callback_url is called when it is done or has failed; each
-- attempt is counted, and the last error kept until one is delivered.
ALTER TABLE batches ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN callback_delivered_at TEXT;
ALTER TABLE batches ADD COLUMN callback_error TEXT;
