//! Sessions of logged-in administrators: a random id in a cookie
//! (HttpOnly, SameSite=Strict, Secure over TLS), made only at a successful
//! login (an id a client brings is never adopted, so a session cannot be
//! fixed), forgotten at logout, after `session_idle` unused and after
//! `session_lifetime` in all. Each session has its own CSRF token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The cookie's name over TLS: the `__Host-` prefix makes browsers refuse
/// it unless Secure, without Domain, with Path=/ (RFC 6265bis §4.1.3.2).
const COOKIE_TLS: &str = "__Host-sealane";
/// The cookie's name over plain HTTP on loopback.
const COOKIE_PLAIN: &str = "sealane";

/// A logged-in administrator.
#[derive(Debug, Clone)]
pub struct Session {
    /// The login name.
    pub user: String,
    /// The token every state-changing request must carry.
    pub csrf: String,
    started: Instant,
    used: Instant,
}

/// Every current session, by id.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
    idle: Duration,
    tls: bool,
}

impl Sessions {
    pub(crate) fn new(lifetime: Duration, idle: Duration, tls: bool) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            lifetime,
            idle,
            tls,
        }
    }

    /// A new session for `user`: its id, and the session.
    pub(crate) fn start(&self, user: &str) -> (String, Session) {
        let id = token();
        let now = Instant::now();
        let session = Session {
            user: user.to_owned(),
            csrf: token(),
            started: now,
            used: now,
        };
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| self.current(s, now));
        map.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The session whose id the request's cookie carries, if current.
    pub(crate) fn find(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = self.cookie(headers)?;
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(&id)?;
        if !self.current(session, now) {
            map.remove(&id);
            return None;
        }
        session.used = now;
        Some((id, session.clone()))
    }

    /// Forgets the session `id`.
    pub(crate) fn end(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    fn current(&self, session: &Session, now: Instant) -> bool {
        now.duration_since(session.started) < self.lifetime
            && now.duration_since(session.used) < self.idle
    }

    fn name(&self) -> &'static str {
        if self.tls { COOKIE_TLS } else { COOKIE_PLAIN }
    }

    fn cookie(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.name();
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// The `Set-Cookie` value that gives the browser session `id`.
    pub(crate) fn set_cookie(&self, id: &str) -> String {
        format!(
            "{}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
            self.name(),
            self.lifetime.as_secs(),
            if self.tls { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub(crate) fn clear_cookie(&self) -> String {
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            self.name(),
            if self.tls { "; Secure" } else { "" }
        )
    }
}

/// 32 random octets from the operating system, in hex.
pub(crate) fn token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing leaves nothing safe to do: a guessable
    // session id is worse than no console.
    getrandom::getrandom(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `a` and `b` are equal, in time that does not depend on where
/// they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_session_is_found_by_its_cookie_and_gone_after_logout() {
        let sessions = Sessions::new(Duration::from_secs(60), Duration::from_secs(60), false);
        let (id, session) = sessions.start("ann");
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("x=1; sealane={id}")).unwrap(),
        );
        assert_eq!(sessions.find(&headers).unwrap().1.csrf, session.csrf);
        sessions.end(&id);
        assert!(sessions.find(&headers).is_none());
    }

    #[test]
    fn an_idle_session_lapses() {
        let sessions = Sessions::new(Duration::from_secs(60), Duration::ZERO, true);
        let (id, _) = sessions.start("ann");
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("__Host-sealane={id}")).unwrap(),
        );
        assert!(sessions.find(&headers).is_none());
    }

    #[test]
    fn tokens_differ_and_compare_in_full() {
        assert_ne!(token(), token());
        assert_eq!(token().len(), 64);
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
