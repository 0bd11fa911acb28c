//! What is wrong with a configuration file, with the key and the line.

use std::path::PathBuf;

/// A configuration that cannot be used. Never temporary: the file must change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {}", path.display(), smtp::io_text(.source))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML, or a key is unknown or has a value of the wrong kind.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line (1-based), when known.
        line: Option<usize>,
        /// What the TOML reader said, naming the key.
        message: String,
    },
    /// A value is well-formed but cannot be used.
    #[error("{}{}: {key}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key, dotted (`retry.expire`).
        key: String,
        /// The line (1-based), when known.
        line: Option<usize>,
        /// Why.
        reason: String,
    },
}

impl ConfigError {
    pub(super) fn parse(path: &std::path::Path, text: &str, error: toml::de::Error) -> Self {
        ConfigError::Parse {
            path: path.to_owned(),
            line: error.span().map(|s| line_of(text, s.start)),
            message: error.message().trim_end().to_owned(),
        }
    }
}

/// The 1-based line of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
