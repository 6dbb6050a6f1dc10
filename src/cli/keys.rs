//! `docket keys`: API keys, managed by whoever runs the service (the
//! register's file is theirs alone). A new key's token is printed once and
//! never stored; every change is recorded in the audit trail.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{EXIT_REFUSED, audit, fail, user};
use crate::access::{Actor, KeyRequest, Scope, key_problems, parse_scopes};
use crate::register::Register;

/// `docket keys …`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a key; its token is printed once.
    Create {
        /// Who or what it is for ("Case tool", "Oakfield Primary office").
        #[arg(long)]
        name: String,
        /// What it may do, comma separated: documents:render,
        /// documents:issue, register:read, register:events,
        /// register:correct, batches, templates:draft, audit:read,
        /// keys:admin.
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
        /// Limit it to these schools (DfE URNs, six digits; repeat or
        /// comma separate). Without: every school.
        #[arg(long, value_delimiter = ',')]
        school: Vec<String>,
        /// The last day it works (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<NaiveDate>,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// List the keys (never their secrets).
    List {
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Revoke a key at once; the register's rows keep naming it.
    Revoke {
        /// The key's id (12 hex digits, as `docket keys list` shows).
        id: String,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Print the secret a key's batch callbacks are signed with, for the
    /// receiver to check `Docket-Signature` (`open` for batches made
    /// without a key).
    SigningSecret {
        /// The key's id, or `open`.
        id: String,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
}

fn open(db: &std::path::Path) -> Result<Register, u8> {
    Register::open_beside(db).map_err(|e| fail(format!("{}: {e}", db.display())))
}

pub(super) fn run(command: KeysCommand) -> Result<(), u8> {
    let actor = Actor::cli(&user());
    match command {
        KeysCommand::Create {
            name,
            scope,
            school,
            expires,
            db,
        } => {
            let scopes = parse_scopes(&scope.join(",")).map_err(|unknown| {
                eprintln!(
                    "error: not scopes docket knows: {}\nhint: the scopes are {}",
                    unknown.join(", "),
                    Scope::ALL.map(Scope::as_str).join(", ")
                );
                EXIT_REFUSED
            })?;
            let request = KeyRequest {
                name,
                scopes,
                schools: (!school.is_empty()).then_some(school),
                expires_on: expires,
            };
            let problems = key_problems(&request, chrono::Local::now().date_naive());
            if !problems.is_empty() {
                for (field, why) in problems {
                    eprintln!(
                        "error: --{}: {why}",
                        if field == "schools" {
                            "school"
                        } else if field == "scopes" {
                            "scope"
                        } else {
                            field
                        }
                    );
                }
                return Err(EXIT_REFUSED);
            }
            let register = open(&db)?;
            let (key, token) = register
                .create_key(&request, &actor.to_string())
                .map_err(fail)?;
            audit(
                &register,
                &actor,
                "key-create",
                "docket keys create",
                Some(&key.id),
                0,
            )?;
            println!("{token}");
            eprintln!(
                "key {} ({}) made with {}{}{}.\nThe line above is its token, shown this once: give it to the caller, who sends it as `Authorization: Bearer <token>`.",
                key.id,
                key.name,
                key.scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                key.schools
                    .as_ref()
                    .map_or(String::new(), |s| format!(", for school {}", s.join(", "))),
                key.expires_on
                    .map_or(String::new(), |d| format!(", until {d}")),
            );
            Ok(())
        }
        KeysCommand::List { db } => {
            let register = open(&db)?;
            let keys = register.keys().map_err(fail)?;
            audit(&register, &actor, "keys-list", "docket keys list", None, 0)?;
            if keys.is_empty() {
                eprintln!("no keys: `docket keys create --name NAME --scope SCOPES` makes one");
            }
            for k in keys {
                let state = match (&k.revoked_at, k.usable(chrono::Local::now().date_naive())) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Err(why)) => why.to_owned(),
                    (None, Ok(())) => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    k.id,
                    k.name,
                    k.scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    k.schools
                        .as_ref()
                        .map_or_else(|| "all schools".to_owned(), |s| s.join(",")),
                    k.expires_on
                        .map_or_else(|| "no expiry".to_owned(), |d| format!("until {d}")),
                    state
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { id, db } => {
            let register = open(&db)?;
            match register.revoke_key(&id, &actor.to_string()) {
                Ok(true) => eprintln!("key {id} revoked"),
                Ok(false) => eprintln!("key {id} was revoked already"),
                Err(crate::register::RegisterError::NotFound(_)) => {
                    eprintln!("error: no key has id {id}; `docket keys list` shows them");
                    return Err(EXIT_REFUSED);
                }
                Err(e) => return Err(fail(e)),
            }
            audit(
                &register,
                &actor,
                "key-revoke",
                "docket keys revoke",
                Some(&id),
                0,
            )
        }
        KeysCommand::SigningSecret { id, db } => {
            let register = open(&db)?;
            let secret = if id == "open" {
                register
                    .setting_or(crate::batch::callback::OPEN_SIGNING_SECRET, &|| {
                        crate::access::random_secret()
                            .map_err(|e| crate::register::RegisterError::Corrupt(e.to_string()))
                    })
                    .map_err(fail)?
            } else {
                match register.key(&id).map_err(fail)? {
                    Some(k) => k.signing_secret,
                    None => {
                        eprintln!("error: no key has id {id}; `docket keys list` shows them");
                        return Err(EXIT_REFUSED);
                    }
                }
            };
            audit(
                &register,
                &actor,
                "signing-secret",
                "docket keys signing-secret",
                Some(&id),
                0,
            )?;
            println!("{secret}");
            Ok(())
        }
    }
}
