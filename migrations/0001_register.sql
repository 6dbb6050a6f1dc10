-- docket's register of issued documents, version 1.
-- Applied once, in a transaction, when PRAGMA user_version is below 1.

-- Every reference ever handed out, used or not: a number is never reused,
-- and one reserved but never used (the process stopped between reserving it
-- and storing its document) is marked void with the reason, never silently
-- skipped.
CREATE TABLE numbers (
    reference   TEXT PRIMARY KEY,
    series      TEXT NOT NULL,            -- 'PN' penalty notices, 'DK' other documents
    year        INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'used', 'void')),
    reserved_at TEXT NOT NULL,
    note        TEXT,
    UNIQUE (series, year, seq)
);

-- The next sequence number per series and year.
CREATE TABLE counters (
    series TEXT NOT NULL,
    year   INTEGER NOT NULL,
    next   INTEGER NOT NULL,
    PRIMARY KEY (series, year)
);

-- One row per issued document: one mail piece for one recipient.
CREATE TABLE documents (
    reference         TEXT PRIMARY KEY REFERENCES numbers (reference),
    kind              TEXT NOT NULL,
    version           TEXT NOT NULL,
    template_hash     TEXT NOT NULL,
    docket_version    TEXT NOT NULL,
    case_json         TEXT NOT NULL,
    case_hash         TEXT NOT NULL,
    case_reference    TEXT NOT NULL,
    pupil_upn         TEXT NOT NULL,
    school            TEXT NOT NULL,
    recipient_index   INTEGER,
    recipient_name    TEXT NOT NULL,
    recipient_key     TEXT NOT NULL,      -- normalised name, to find a parent's earlier notices
    recipient_postcode TEXT NOT NULL,
    issued_on         TEXT NOT NULL,
    served_on         TEXT,
    pdf               BLOB NOT NULL,
    pdf_sha256        TEXT NOT NULL,
    requested_by      TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    batch_id          TEXT,
    batch_index       INTEGER
);
CREATE INDEX documents_by_pupil ON documents (pupil_upn, issued_on);
CREATE INDEX documents_by_batch ON documents (batch_id, batch_index);

-- What happened to an issued document after it was sent.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    reference    TEXT NOT NULL REFERENCES documents (reference),
    event        TEXT NOT NULL CHECK (event IN ('issued', 'paid', 'withdrawn', 'prosecution-started')),
    on_date      TEXT NOT NULL,
    amount_pence INTEGER,
    reason       TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX events_by_reference ON events (reference, id);

-- Batches of documents for the print room.
CREATE TABLE batches (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    kind            TEXT NOT NULL,
    request_json    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    total           INTEGER NOT NULL,
    requested_by    TEXT NOT NULL,
    callback_url    TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    error           TEXT
);

CREATE TABLE batch_records (
    batch_id  TEXT NOT NULL REFERENCES batches (id),
    idx       INTEGER NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('issued', 'refused')),
    reference TEXT,
    problem   TEXT,
    PRIMARY KEY (batch_id, idx)
);
