-- docket's register, version 8: the decision on a lapsed penalty notice.
-- When a notice's last day to pay passes unpaid, the authority must
-- prosecute or withdraw it (SI 2007/1867 reg 9); the decision, its reasons
-- and who made it are an event on the notice's timeline (the Ombudsman
-- finds fault where the decision to prosecute was not documented:
-- LGO 21 010 042). (SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt with its rows and ids.)
CREATE TABLE events_v8 (
    id           INTEGER PRIMARY KEY,
    reference    TEXT NOT NULL REFERENCES documents (reference),
    event        TEXT NOT NULL CHECK (event IN ('issued', 'paid', 'withdrawn', 'prosecution-started', 'corrected', 'decision')),
    on_date      TEXT NOT NULL,
    amount_pence INTEGER,
    reason       TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    ground       TEXT,
    supersedes   INTEGER REFERENCES events_v8 (id),
    key_id       TEXT,
    on_behalf_of TEXT,
    decision     TEXT CHECK (decision IN ('prosecute', 'withdraw')),
    decided_by   TEXT,
    CHECK ((event = 'corrected') = (supersedes IS NOT NULL)),
    CHECK ((event = 'decision') = (decision IS NOT NULL AND decided_by IS NOT NULL AND reason IS NOT NULL))
);
INSERT INTO events_v8 (id, reference, event, on_date, amount_pence, reason, recorded_by, recorded_at, ground, supersedes, key_id, on_behalf_of)
    SELECT id, reference, event, on_date, amount_pence, reason, recorded_by, recorded_at, ground, supersedes, key_id, on_behalf_of FROM events;
DROP TABLE events;
ALTER TABLE events_v8 RENAME TO events;
CREATE INDEX events_by_reference ON events (reference, id);
CREATE UNIQUE INDEX events_superseded_once ON events (supersedes) WHERE supersedes IS NOT NULL;
