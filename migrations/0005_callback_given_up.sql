-- docket's register, version 5: when a batch's callback was given up (the
-- receiver refused it, or every attempt failed). A finished batch with a
-- callback neither delivered nor given up was stopped while calling back,
-- and the next start carries on from the attempts already counted.
ALTER TABLE batches ADD COLUMN callback_given_up_at TEXT;
