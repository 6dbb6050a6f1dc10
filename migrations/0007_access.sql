-- docket's register, version 7: who may do what, and who did.

-- API keys. The secret is never stored: only its SHA-256 (a secret of 256
-- random bits needs no slow hash). `scopes` is a comma-separated list,
-- `schools` a JSON array of DfE URNs (NULL: every school). A key is never
-- deleted, so the register's rows that name it keep meaning something.
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    schools        TEXT,
    secret_sha256  TEXT NOT NULL,
    signing_secret TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    expires_on     TEXT,
    revoked_at     TEXT,
    revoked_by     TEXT
);

-- Settings the service keeps in its register (the open mode's callback
-- signing secret).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who did it: the key (NULL for the command line and the open mode, whose
-- `requested_by` says which), and the person inside the calling system it
-- was done for (`Docket-Requested-By`), never taken as the identity.
ALTER TABLE documents ADD COLUMN key_id TEXT;
ALTER TABLE documents ADD COLUMN on_behalf_of TEXT;
ALTER TABLE documents ADD COLUMN school_urn TEXT;
CREATE INDEX documents_by_school ON documents (school_urn);
ALTER TABLE events ADD COLUMN key_id TEXT;
ALTER TABLE events ADD COLUMN on_behalf_of TEXT;
ALTER TABLE batches ADD COLUMN key_id TEXT;
ALTER TABLE batches ADD COLUMN on_behalf_of TEXT;
-- The schools a batch may issue for (those of the key that made it; NULL:
-- every school).
ALTER TABLE batches ADD COLUMN schools TEXT;

-- The audit trail: every access to personal data and every change of legal
-- state, refused attempts included. Append-only (AUTOINCREMENT: a sequence
-- number is never reused, so a deleted last row shows), each row's hash
-- covering its fields and the previous row's hash.
CREATE TABLE audit (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    key_id       TEXT,
    actor        TEXT NOT NULL,
    on_behalf_of TEXT,
    action       TEXT NOT NULL,
    method       TEXT NOT NULL,
    route        TEXT NOT NULL,
    target       TEXT,
    pupil_upn    TEXT,
    outcome      INTEGER NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_by_pupil ON audit (pupil_upn, at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
