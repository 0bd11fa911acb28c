//! `[store]`: where the queue lives — the embedded SQLite file (one node)
//! or a PostgreSQL database (one or several nodes).

use std::path::PathBuf;

use super::raw::{RawStore, RawStoreKind};

/// The validated `[store]` table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreSettings {
    /// `queue.db` in the data directory (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database that every node names alike.
    Postgres {
        /// The connection string (a `postgresql://` URL or `key=value`
        /// pairs), without a password.
        url: String,
        /// Where the password comes from, if the server asks for one.
        password: Option<PasswordSource>,
    },
}

/// Where the database password is read when the daemon starts. The
/// password itself is never kept in the configuration nor logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The first line of this file.
    File(PathBuf),
    /// This environment variable.
    Env(String),
}

/// What is wrong with `[store]`: the key, its line and why.
pub(super) struct Invalid {
    pub key: &'static str,
    pub offset: Option<usize>,
    pub reason: String,
}

fn invalid<T>(
    key: &'static str,
    span: Option<std::ops::Range<usize>>,
    reason: impl Into<String>,
) -> Result<T, Invalid> {
    Err(Invalid {
        key,
        offset: span.map(|s| s.start),
        reason: reason.into(),
    })
}

/// Stage two of `[store]`.
pub(super) fn validate(raw: RawStore) -> Result<StoreSettings, Invalid> {
    let kind = raw.kind.as_ref().map(|k| *k.get_ref());
    match kind.unwrap_or(RawStoreKind::Sqlite) {
        RawStoreKind::Sqlite => {
            let extra = raw
                .url
                .as_ref()
                .map(|u| ("store.url", u.span()))
                .or(raw
                    .password_file
                    .as_ref()
                    .map(|p| ("store.password_file", p.span())))
                .or(raw
                    .password_env
                    .as_ref()
                    .map(|p| ("store.password_env", p.span())));
            if let Some((key, span)) = extra {
                return invalid(key, Some(span), "only for kind = \"postgres\"");
            }
            Ok(StoreSettings::Sqlite)
        }
        RawStoreKind::Postgres => {
            let Some(url) = raw.url else {
                return invalid(
                    "store.url",
                    raw.kind.map(|k| k.span()),
                    "kind = \"postgres\" needs url = \"postgresql://USER@HOST/DB\"",
                );
            };
            if let Err(e) = queue::PgOptions::from_url(url.get_ref()) {
                return invalid("store.url", Some(url.span()), e.to_string());
            }
            let password = match (raw.password_file, raw.password_env) {
                (Some(_), Some(env)) => {
                    return invalid(
                        "store.password_env",
                        Some(env.span()),
                        "give password_file or password_env, not both",
                    );
                }
                (Some(file), None) => Some(PasswordSource::File(file.into_inner())),
                (None, Some(env)) => {
                    if env.get_ref().is_empty() || env.get_ref().contains('=') {
                        return invalid(
                            "store.password_env",
                            Some(env.span()),
                            "not the name of an environment variable",
                        );
                    }
                    Some(PasswordSource::Env(env.into_inner()))
                }
                (None, None) => None,
            };
            Ok(StoreSettings::Postgres {
                url: url.into_inner(),
                password,
            })
        }
    }
}
