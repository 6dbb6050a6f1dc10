-- docket's register, version 6: legal state that changes exactly once, and
-- only as the law allows.

-- Events: withdrawals carry their ground (reg 8 or 9), and a mistake is put
-- right by a `corrected` event naming the event it supersedes. Nothing is
-- edited or deleted. (SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt with its rows and ids.)
CREATE TABLE events_v6 (
    id           INTEGER PRIMARY KEY,
    reference    TEXT NOT NULL REFERENCES documents (reference),
    event        TEXT NOT NULL CHECK (event IN ('issued', 'paid', 'withdrawn', 'prosecution-started', 'corrected')),
    on_date      TEXT NOT NULL,
    amount_pence INTEGER,
    reason       TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    ground       TEXT,
    supersedes   INTEGER REFERENCES events_v6 (id),
    CHECK ((event = 'corrected') = (supersedes IS NOT NULL))
);
INSERT INTO events_v6 (id, reference, event, on_date, amount_pence, reason, recorded_by, recorded_at)
    SELECT id, reference, event, on_date, amount_pence, reason, recorded_by, recorded_at FROM events;
DROP TABLE events;
ALTER TABLE events_v6 RENAME TO events;
CREATE INDEX events_by_reference ON events (reference, id);
CREATE UNIQUE INDEX events_superseded_once ON events (supersedes) WHERE supersedes IS NOT NULL;

-- The terms a penalty notice states (its amounts and pay-by dates, as
-- JSON), so that a payment is checked against what the notice asked for.
ALTER TABLE documents ADD COLUMN terms_json TEXT;

-- The offence each penalty notice is for, claimed with its number in one
-- transaction, so no two notices to the same parent cover the same
-- absence, whichever route or replica issues them.
CREATE TABLE notice_claims (
    reference    TEXT PRIMARY KEY REFERENCES numbers (reference),
    pupil_upn    TEXT NOT NULL,
    parent_key   TEXT NOT NULL,
    offence_from TEXT NOT NULL,
    offence_to   TEXT NOT NULL
);
CREATE INDEX notice_claims_by_child ON notice_claims (pupil_upn);
INSERT INTO notice_claims (reference, pupil_upn, parent_key, offence_from, offence_to)
    SELECT reference, pupil_upn, recipient_key,
           json_extract(case_json, '$.penalty.offence_from'),
           json_extract(case_json, '$.penalty.offence_to')
    FROM documents
    WHERE kind = 'penalty-notice'
      AND json_extract(case_json, '$.penalty.offence_from') IS NOT NULL
      AND json_extract(case_json, '$.penalty.offence_to') IS NOT NULL;

-- Idempotency of single issues: per caller and key, the request's hash
-- and, once issued, the references it gave (NULL while it runs).
CREATE TABLE idempotency (
    caller         TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    references_json TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);

-- Batches: the hash of the request their idempotency key was given with
-- (the key column now holds the caller and the key).
ALTER TABLE batches ADD COLUMN request_sha256 TEXT;

-- `/healthz` commits a small write here, and removes it, to see whether the
-- register can take writes (a full disk, a read-only file).
CREATE TABLE health_probe (
    id     INTEGER PRIMARY KEY,
    filler BLOB NOT NULL
);
