//! The configuration file as the console and the API show it: every key
//! as written, secrets replaced by a mask (SRS secrets, password hashes,
//! passwords, the password in a database URL).

use serde_json::Value;

/// What a secret is shown as.
pub const MASK: &str = "********";

/// Keys whose values are secrets wherever they appear.
const SECRET_KEYS: &[&str] = &["secrets", "secret", "password", "password_hash"];

/// `text` (valid TOML) as JSON with its secrets masked; `Null` when it
/// does not parse (it was validated before, so that does not happen).
pub(super) fn masked(text: &str) -> Value {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Value::Null;
    };
    let mut value = serde_json::to_value(table).unwrap_or(Value::Null);
    mask(&mut value);
    value
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *item = Value::String(MASK.into());
                } else if key == "url" {
                    if let Value::String(url) = item {
                        *url = without_password(url);
                    }
                } else {
                    mask(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// A URL with the password of its user information masked
/// (`postgresql://user:secret@host/db` → `postgresql://user:********@host/db`),
/// and `password=...` pairs of a `key=value` connection string.
fn without_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        if let Some((userinfo, host)) = authority.rsplit_once('@')
            && let Some((user, _)) = userinfo.split_once(':')
        {
            return format!("{scheme}://{user}:{MASK}@{host}{path}");
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let shown = masked(
            "[srs]\nsecrets = [\"s3cret\"]\n[[user]]\nname = \"a\"\npassword_hash = \"$argon2id$x\"\n\
             [store]\nkind = \"postgres\"\nurl = \"postgresql://q:pw@db/queue\"\n",
        );
        let text = shown.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("argon2id"), "{text}");
        assert!(!text.contains(":pw@"), "{text}");
        assert_eq!(shown["store"]["url"], "postgresql://q:********@db/queue");
        assert_eq!(shown["user"][0]["name"], "a");
    }

    #[test]
    fn key_value_passwords_are_masked() {
        assert_eq!(
            without_password("host=db password=pw user=q"),
            "host=db password=******** user=q"
        );
    }
}
