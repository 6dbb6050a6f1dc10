-- docket's register, version 4: the warnings a court bundle was issued with
-- (weaker gaps in the case, e.g. no notice to improve on file), as a JSON
-- array of {rule, detail}; empty for every other document.
ALTER TABLE documents ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
