//! Who may do what: API keys, their scopes and schools, and the caller a
//! request is made by. Pure: the register stores keys (`register::api_keys`)
//! and the HTTP layer identifies callers (`http::auth`); this module says
//! what a key is and what it allows.
//!
//! A key is `dk_<id>_<secret>`: a public id of 12 hex digits (it names the
//! key in the register, the audit trail and the logs) and a secret of 256
//! random bits (64 hex digits), of which only the SHA-256 is stored.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;
use subtle::ConstantTimeEq;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Scope {
    /// Render a document without issuing it (a proof).
    #[serde(rename = "documents:render")]
    DocumentsRender,
    /// Issue documents: store them in the register under a reference.
    #[serde(rename = "documents:issue")]
    DocumentsIssue,
    /// Read the register: reprints, histories, statuses.
    #[serde(rename = "register:read")]
    RegisterRead,
    /// Record events: paid, withdrawn, prosecution started, corrected.
    #[serde(rename = "register:events")]
    RegisterEvents,
    /// Put a mistaken event right: a `corrected` event superseding it.
    #[serde(rename = "register:correct")]
    RegisterCorrect,
    /// Decide to prosecute or withdraw a lapsed penalty notice (the Courts
    /// Team): list lapsed notices and record the decision.
    #[serde(rename = "register:decide")]
    RegisterDecide,
    /// Create batches, read their status and download their files.
    #[serde(rename = "batches")]
    Batches,
    /// Render drafts and use the studio.
    #[serde(rename = "templates:draft")]
    TemplatesDraft,
    /// Read the audit trail.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Create, list and revoke keys over HTTP.
    #[serde(rename = "keys:admin")]
    KeysAdmin,
    /// Read the service's metrics (`/metrics`: counts and timings, no case
    /// data).
    #[serde(rename = "metrics:read")]
    MetricsRead,
}

impl Scope {
    /// Every scope, in the order the documentation lists them.
    pub const ALL: [Self; 11] = [
        Self::DocumentsRender,
        Self::DocumentsIssue,
        Self::RegisterRead,
        Self::RegisterEvents,
        Self::RegisterCorrect,
        Self::RegisterDecide,
        Self::Batches,
        Self::TemplatesDraft,
        Self::AuditRead,
        Self::KeysAdmin,
        Self::MetricsRead,
    ];

    /// Its name, as keys and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentsRender => "documents:render",
            Self::DocumentsIssue => "documents:issue",
            Self::RegisterRead => "register:read",
            Self::RegisterEvents => "register:events",
            Self::RegisterCorrect => "register:correct",
            Self::RegisterDecide => "register:decide",
            Self::Batches => "batches",
            Self::TemplatesDraft => "templates:draft",
            Self::AuditRead => "audit:read",
            Self::KeysAdmin => "keys:admin",
            Self::MetricsRead => "metrics:read",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// What it allows, in a sentence (for `docket keys` and the docs).
    pub fn meaning(self) -> &'static str {
        match self {
            Self::DocumentsRender => "render a document without issuing it",
            Self::DocumentsIssue => "issue documents into the register",
            Self::RegisterRead => "reprints, pupils' histories and notices' statuses",
            Self::RegisterEvents => "record paid, withdrawn, prosecution started",
            Self::RegisterCorrect => "correct a mistaken event (a corrected event superseding it)",
            Self::RegisterDecide => {
                "list lapsed penalty notices and decide to prosecute or withdraw each"
            }
            Self::Batches => "create batches, read their status, download their files",
            Self::TemplatesDraft => "render drafts and use the studio",
            Self::AuditRead => "read the audit trail",
            Self::KeysAdmin => "create, list and revoke keys",
            Self::MetricsRead => "read the service's metrics (counts and timings, no case data)",
        }
    }

    /// Whether the open mode (no key in the register, loopback only)
    /// allows it: everything but drafts and key management, which need a
    /// key even on a developer's machine (`--dev` opens drafts).
    pub fn open(self) -> bool {
        !matches!(self, Self::TemplatesDraft | Self::KeysAdmin)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Scopes named in a comma-separated list, or the names that are not
/// scopes.
pub fn parse_scopes(list: &str) -> Result<Vec<Scope>, Vec<String>> {
    let mut scopes = Vec::new();
    let mut unknown = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match Scope::parse(name) {
            Some(s) if !scopes.contains(&s) => scopes.push(s),
            Some(_) => {}
            None => unknown.push(name.to_owned()),
        }
    }
    if unknown.is_empty() {
        scopes.sort();
        Ok(scopes)
    } else {
        Err(unknown)
    }
}

/// Whether `urn` is a DfE unique reference number: six digits.
pub fn is_urn(urn: &str) -> bool {
    urn.len() == 6 && urn.bytes().all(|b| b.is_ascii_digit())
}

/// A key just made: its id, the whole token (shown once), and the hash and
/// signing secret the register keeps.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The public id.
    pub id: String,
    /// `dk_<id>_<secret>`: given to the caller once, never stored.
    pub token: String,
    /// SHA-256 of the secret, as stored.
    pub secret_sha256: String,
    /// The secret batch callbacks made with this key are signed with.
    pub signing_secret: String,
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomError(String);

fn random_hex(bytes: usize) -> Result<String, RandomError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
    Ok(crate::digest::hex(&buf))
}

/// A random secret of 256 bits, as 64 hex digits.
pub fn random_secret() -> Result<String, RandomError> {
    random_hex(32)
}

impl NewKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<Self, RandomError> {
        let id = random_hex(6)?;
        let secret = random_hex(32)?;
        Ok(Self {
            token: format!("dk_{id}_{secret}"),
            secret_sha256: secret_sha256(&secret),
            signing_secret: random_secret()?,
            id,
        })
    }
}

/// The stored form of a secret.
pub fn secret_sha256(secret: &str) -> String {
    crate::digest::sha256(secret.as_bytes())
}

/// A token split into its id and secret, if it has the form of one.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("dk_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 12) && hex(secret, 64)).then_some((id, secret))
}

/// Whether `secret` is the one whose hash is `stored`, compared in constant
/// time.
pub fn secret_matches(secret: &str, stored: &str) -> bool {
    bool::from(secret_sha256(secret).as_bytes().ct_eq(stored.as_bytes()))
}

/// A key as the register keeps it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// The public id.
    pub id: String,
    /// Who or what it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The schools it is limited to (`None`: every school).
    pub schools: Option<Vec<String>>,
    /// When it was made.
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// The last day it works, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// SHA-256 of its secret.
    #[serde(skip)]
    pub secret_sha256: String,
    /// The secret its batches' callbacks are signed with.
    #[serde(skip)]
    pub signing_secret: String,
}

impl KeyRecord {
    /// Whether it works on `today`: not revoked, not expired.
    pub fn usable(&self, today: NaiveDate) -> Result<(), &'static str> {
        if self.revoked_at.is_some() {
            return Err("this key has been revoked");
        }
        if self.expires_on.is_some_and(|last| today > last) {
            return Err("this key has expired");
        }
        Ok(())
    }
}

/// What a new key is asked to be.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    /// Who or what it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The schools it is limited to (`None`: every school).
    pub schools: Option<Vec<String>>,
    /// The last day it works.
    pub expires_on: Option<NaiveDate>,
}

/// What is wrong with a key request: `(field, problem)` pairs.
pub fn key_problems(request: &KeyRequest, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push((
            "name",
            "a key's name is 1 to 100 printable characters".to_owned(),
        ));
    }
    if request.scopes.is_empty() {
        problems.push(("scopes", "a key needs at least one scope".to_owned()));
    }
    if let Some(schools) = &request.schools {
        if schools.is_empty() {
            problems.push((
                "schools",
                "a school key names at least one school".to_owned(),
            ));
        }
        for urn in schools.iter().filter(|u| !is_urn(u)) {
            problems.push((
                "schools",
                format!("`{urn}` is not a school's URN (six digits)"),
            ));
        }
        for scope in [
            Scope::RegisterCorrect,
            Scope::TemplatesDraft,
            Scope::AuditRead,
            Scope::KeysAdmin,
            Scope::MetricsRead,
        ] {
            if request.scopes.contains(&scope) {
                problems.push((
                    "scopes",
                    format!("{scope} is for the authority's own staff, not a school's key"),
                ));
            }
        }
    }
    if request.expires_on.is_some_and(|d| d < today) {
        problems.push(("expires", "a key cannot expire in the past".to_owned()));
    }
    problems
}

/// Who did something, as the register records it: the key (or the command
/// line, or the open mode), and the person inside the calling system it
/// was done for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The key's id, if a key was used.
    pub key_id: Option<String>,
    /// The key's name; `cli:<user>` on the command line; `open` in the
    /// open mode.
    pub name: String,
    /// Who inside the calling system asked (`Docket-Requested-By`).
    pub on_behalf_of: Option<String>,
}

impl Actor {
    /// The command line, run by `user`.
    pub fn cli(user: &str) -> Self {
        Self {
            key_id: None,
            name: format!("cli:{user}"),
            on_behalf_of: None,
        }
    }

    /// The open mode: no keys exist and the service is on loopback.
    pub fn open() -> Self {
        Self {
            key_id: None,
            name: "open".to_owned(),
            on_behalf_of: None,
        }
    }

    /// Who is answerable: the key's id, or the name when there is no key.
    /// Rate limits, batch limits and idempotency keys belong to it.
    pub fn identity(&self) -> &str {
        self.key_id.as_deref().unwrap_or(&self.name)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key_id {
            Some(id) => write!(f, "{} (key {id})", self.name)?,
            None => f.write_str(&self.name)?,
        }
        if let Some(person) = &self.on_behalf_of {
            write!(f, " for {person}")?;
        }
        Ok(())
    }
}

/// A caller as a request identifies it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A usable key.
    Key {
        /// The key (boxed: a key record is much larger than the open mode).
        key: Box<KeyRecord>,
        /// Who it was used for.
        on_behalf_of: Option<String>,
    },
    /// No key exists and the service is on loopback: everything but
    /// [`Scope::open`]'s exceptions is allowed.
    Open {
        /// Who it was asked for.
        on_behalf_of: Option<String>,
    },
}

impl Caller {
    /// Whether it may do what `scope` allows.
    pub fn may(&self, scope: Scope) -> bool {
        match self {
            Self::Key { key, .. } => key.scopes.contains(&scope),
            Self::Open { .. } => scope.open(),
        }
    }

    /// The schools it is limited to (`None`: every school).
    pub fn schools(&self) -> Option<&[String]> {
        match self {
            Self::Key { key, .. } => key.schools.as_deref(),
            Self::Open { .. } => None,
        }
    }

    /// Whether it may see records of the school `urn` (`None`: a record
    /// that names no school, which only an every-school caller sees).
    pub fn sees_school(&self, urn: Option<&str>) -> bool {
        match (self.schools(), urn) {
            (None, _) => true,
            (Some(schools), Some(urn)) => schools.iter().any(|s| s == urn),
            (Some(_), None) => false,
        }
    }

    /// Who it is, as the register records it.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Key { key, on_behalf_of } => Actor {
                key_id: Some(key.id.clone()),
                name: key.name.clone(),
                on_behalf_of: on_behalf_of.clone(),
            },
            Self::Open { on_behalf_of } => Actor {
                on_behalf_of: on_behalf_of.clone(),
                ..Actor::open()
            },
        }
    }
}

/// The hash of one audit row: SHA-256 over the previous row's hash and
/// each field, length-prefixed so that no two rows hash alike.
pub fn audit_hash(prev: &str, fields: &[&str]) -> String {
    let mut bytes = Vec::with_capacity(256);
    for part in std::iter::once(prev).chain(fields.iter().copied()) {
        bytes.extend_from_slice(&part.len().to_le_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    crate::digest::sha256(&bytes)
}

/// The hash the chain starts from.
pub const AUDIT_GENESIS: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::d;

    fn key(scopes: &[Scope], schools: Option<&[&str]>) -> KeyRecord {
        KeyRecord {
            id: "0123456789ab".into(),
            name: "Oakfield office".into(),
            scopes: scopes.to_vec(),
            schools: schools.map(|s| s.iter().map(|&u| u.to_owned()).collect()),
            created_at: "2026-12-01T00:00:00.000Z".into(),
            created_by: "cli:root".into(),
            expires_on: Some(d(2026, 12, 31)),
            revoked_at: None,
            secret_sha256: String::new(),
            signing_secret: String::new(),
        }
    }

    #[test]
    fn tokens_round_trip_and_only_their_secret_matches() {
        let k = NewKey::generate().unwrap_or_else(|e| panic!("{e}"));
        let (id, secret) = parse_token(&k.token).unwrap_or_else(|| panic!("{}", k.token));
        assert_eq!(id, k.id);
        assert!(secret_matches(secret, &k.secret_sha256));
        let last = if secret.ends_with('0') { "1" } else { "0" };
        let wrong = format!("{}{last}", &secret[..63]);
        assert!(!secret_matches(&wrong, &k.secret_sha256));
        let other = NewKey::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(other.token, k.token);
        assert!(!secret_matches(secret, &other.secret_sha256));
        for bad in [
            "",
            "dk_",
            "Bearer x",
            "dk_0123456789ab_short",
            "dk_0123456789aZ_00",
        ] {
            assert!(parse_token(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn scopes_parse_and_unknown_names_are_listed() {
        assert_eq!(
            parse_scopes("register:read, documents:render,register:read"),
            Ok(vec![Scope::DocumentsRender, Scope::RegisterRead])
        );
        assert_eq!(
            parse_scopes("documents:render,admin"),
            Err(vec!["admin".to_owned()])
        );
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn keys_expire_after_their_last_day_and_revoked_keys_never_work() {
        let k = key(&[Scope::RegisterRead], None);
        assert!(k.usable(d(2026, 12, 31)).is_ok());
        assert!(k.usable(d(2027, 1, 1)).is_err());
        let revoked = KeyRecord {
            revoked_at: Some("2026-12-02T00:00:00.000Z".into()),
            ..k
        };
        assert!(revoked.usable(d(2026, 12, 2)).is_err());
    }

    #[test]
    fn school_keys_see_only_their_schools_and_no_school_less_records() {
        let school = Caller::Key {
            key: Box::new(key(&[Scope::RegisterRead], Some(&["123456"]))),
            on_behalf_of: None,
        };
        assert!(school.sees_school(Some("123456")));
        assert!(!school.sees_school(Some("654321")));
        assert!(!school.sees_school(None));
        assert!(school.may(Scope::RegisterRead));
        assert!(!school.may(Scope::DocumentsIssue));
        let open = Caller::Open { on_behalf_of: None };
        assert!(open.sees_school(None) && open.may(Scope::DocumentsIssue));
        assert!(!open.may(Scope::TemplatesDraft) && !open.may(Scope::KeysAdmin));
    }

    #[test]
    fn key_requests_are_checked_field_by_field() {
        let ok = KeyRequest {
            name: "Case tool".into(),
            scopes: vec![Scope::DocumentsRender],
            schools: Some(vec!["123456".into()]),
            expires_on: None,
        };
        assert!(key_problems(&ok, d(2026, 12, 1)).is_empty());
        let bad = KeyRequest {
            name: " ".into(),
            scopes: vec![Scope::KeysAdmin],
            schools: Some(vec!["12345".into()]),
            expires_on: Some(d(2026, 11, 30)),
        };
        let fields: Vec<&str> = key_problems(&bad, d(2026, 12, 1))
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(fields, ["name", "schools", "scopes", "expires"]);
    }

    #[test]
    fn the_actor_is_the_key_and_the_header_only_says_for_whom() {
        let c = Caller::Key {
            key: Box::new(key(&[Scope::DocumentsIssue], None)),
            on_behalf_of: Some("J Smith".into()),
        };
        let a = c.actor();
        assert_eq!(a.identity(), "0123456789ab");
        assert_eq!(
            a.to_string(),
            "Oakfield office (key 0123456789ab) for J Smith"
        );
    }

    #[test]
    fn audit_hashes_chain_and_cannot_be_shifted_between_fields() {
        let a = audit_hash(AUDIT_GENESIS, &["ab", "c"]);
        assert_ne!(a, audit_hash(AUDIT_GENESIS, &["a", "bc"]));
        assert_ne!(a, audit_hash(&a, &["ab", "c"]));
        assert_eq!(a, audit_hash(AUDIT_GENESIS, &["ab", "c"]));
    }
}
