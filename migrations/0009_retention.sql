-- docket's register, version 9: retention. A document kept past its
-- retention period is purged: its row, its case data, its PDF and its
-- events are deleted, and a tombstone stays in their place, so that its
-- number is still accounted for (used, then purged under a named rule)
-- and anyone asking for it is told so. A tombstone holds nothing about
-- the child or the family: the reference, the kind, the dates, the
-- hashes of what was issued, and the rule that purged it.
CREATE TABLE purged (
    reference     TEXT PRIMARY KEY REFERENCES numbers (reference),
    kind          TEXT NOT NULL,
    version       TEXT NOT NULL,
    issued_on     TEXT NOT NULL,
    kept_from     TEXT NOT NULL,   -- the day its period ran from
    due_on        TEXT NOT NULL,   -- the day its period ended
    rule          TEXT NOT NULL,   -- the policy's rule, in words
    policy_sha256 TEXT NOT NULL,   -- the policy file it was purged under
    pdf_sha256    TEXT NOT NULL,
    case_hash     TEXT NOT NULL,
    school_urn    TEXT,
    batch_id      TEXT,
    events        INTEGER NOT NULL, -- how many events its timeline had
    purged_at     TEXT NOT NULL,
    purged_by     TEXT NOT NULL
);
