-- docket's register, version 2: a batch's cases are kept one row each, so a
-- batch of any size is read back one case at a time (bounded memory), and
-- the batch row keeps only the request's options.
CREATE TABLE batch_cases (
    batch_id  TEXT NOT NULL REFERENCES batches (id),
    idx       INTEGER NOT NULL,
    case_json TEXT NOT NULL,
    PRIMARY KEY (batch_id, idx)
);
