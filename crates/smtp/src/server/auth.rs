//! AUTH on the server side (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
//! mechanisms, offered only under TLS. The password goes to the handler and
//! nowhere else: it is never logged nor kept.

use data_encoding::BASE64;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Next, Session};
use crate::error::{Error, Stage};
use crate::handler::{AuthVerdict, Credentials, Handler, Mechanism};
use crate::replies::{self, Canned};
use crate::wire::Line;

/// Decodes one base64 response (RFC 4954 §4: `=` is an empty one).
fn decode(response: &str) -> Option<Vec<u8>> {
    if response == "=" {
        return Some(Vec::new());
    }
    BASE64.decode(response.as_bytes()).ok()
}

/// RFC 4616 §2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`.
fn plain(response: &[u8]) -> Option<Credentials> {
    let text = std::str::from_utf8(response).ok()?;
    let mut parts = text.split('\0');
    let (authzid, username, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || username.is_empty() || password.is_empty() {
        return None;
    }
    Some(Credentials::new(
        Mechanism::Plain,
        authzid.to_owned(),
        username.to_owned(),
        password.to_owned(),
    ))
}

/// What reading one response of the exchange gave.
enum Response {
    Text(Vec<u8>),
    Refused(Canned),
}

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    pub(super) async fn auth(
        &mut self,
        mechanism: &str,
        initial: Option<String>,
    ) -> Result<Next, Error> {
        if self.config.capabilities.auth.is_empty() {
            return self.reply(Stage::Auth, replies::NOT_IMPLEMENTED).await;
        }
        // RFC 4954 §4: "538 5.7.11 Encryption required for requested
        // authentication mechanism".
        if self.facts.tls.is_none() {
            return self.reply(Stage::Auth, replies::ENCRYPTION_REQUIRED).await;
        }
        // RFC 4954 §4: not after a successful AUTH, not during a transaction.
        if self.facts.user.is_some() || self.mail.is_some() {
            return self.reply(Stage::Auth, replies::BAD_SEQUENCE).await;
        }
        let offered = self.advertised().auth;
        if !offered.iter().any(|m| m.eq_ignore_ascii_case(mechanism)) {
            return self
                .reply(Stage::Auth, replies::AUTH_MECHANISM_UNKNOWN)
                .await;
        }
        let credentials = match mechanism {
            "PLAIN" => {
                let response = match initial {
                    Some(initial) => Response::Text(initial.into_bytes()),
                    None => self.challenge(replies::AUTH_CONTINUE).await?,
                };
                match self.decoded(response) {
                    Ok(bytes) => plain(&bytes).ok_or(replies::AUTH_MALFORMED),
                    Err(canned) => Err(canned),
                }
            }
            _ => self.login(initial).await?,
        };
        let credentials = match credentials {
            Ok(credentials) => credentials,
            Err(canned) => return self.reply(Stage::Auth, canned).await,
        };
        let verdict = self.handler.authenticate(&credentials, &self.facts).await;
        let canned = match verdict {
            AuthVerdict::Accepted => {
                let identity = if credentials.authzid.is_empty() {
                    credentials.username
                } else {
                    credentials.authzid
                };
                self.facts.user = Some(identity);
                replies::AUTH_SUCCEEDED
            }
            AuthVerdict::Refused => replies::AUTH_INVALID,
            AuthVerdict::Temporary => replies::AUTH_TEMPORARY,
        };
        self.reply(Stage::Auth, canned).await
    }

    /// LOGIN: the user name (perhaps as the initial response), then the
    /// password, each after its 334 prompt.
    async fn login(
        &mut self,
        initial: Option<String>,
    ) -> Result<Result<Credentials, Canned>, Error> {
        let response = match initial {
            Some(initial) => Response::Text(initial.into_bytes()),
            None => self.challenge(replies::AUTH_USERNAME).await?,
        };
        let username = match self.decoded(response).map(String::from_utf8) {
            Ok(Ok(name)) if !name.is_empty() && !name.contains('\0') => name,
            Ok(_) => return Ok(Err(replies::AUTH_MALFORMED)),
            Err(canned) => return Ok(Err(canned)),
        };
        let response = self.challenge(replies::AUTH_PASSWORD).await?;
        let password = match self.decoded(response).map(String::from_utf8) {
            Ok(Ok(password)) if !password.is_empty() && !password.contains('\0') => password,
            Ok(_) => return Ok(Err(replies::AUTH_MALFORMED)),
            Err(canned) => return Ok(Err(canned)),
        };
        Ok(Ok(Credentials::new(
            Mechanism::Login,
            String::new(),
            username,
            password,
        )))
    }

    /// Sends a 334 prompt and reads the client's response line.
    async fn challenge(&mut self, prompt: Canned) -> Result<Response, Error> {
        self.send(Stage::Auth, &prompt.reply()).await?;
        let line = self
            .read_line(Stage::Auth, self.config.limits.auth_line)
            .await?;
        Ok(match line {
            Line::Complete(line) => {
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                Response::Text(line.to_vec())
            }
            Line::TooLong => Response::Refused(replies::AUTH_LINE_TOO_LONG),
            Line::Eof => {
                return Err(Error::Closed { stage: Stage::Auth });
            }
        })
    }

    /// The decoded response, or the refusal for a cancelled or undecodable
    /// one.
    fn decoded(&self, response: Response) -> Result<Vec<u8>, Canned> {
        match response {
            Response::Refused(canned) => Err(canned),
            Response::Text(text) if text == b"*" => Err(replies::AUTH_CANCELLED),
            Response::Text(text) => std::str::from_utf8(&text)
                .ok()
                .and_then(decode)
                .ok_or(replies::AUTH_MALFORMED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_message_has_three_parts() {
        let credentials = plain(b"\0user\0secret").unwrap();
        assert_eq!(credentials.username, "user");
        assert_eq!(credentials.authzid, "");
        assert_eq!(credentials.password(), "secret");
        assert!(!format!("{credentials:?}").contains("secret"));
        assert!(plain(b"user\0secret").is_none());
        assert!(plain(b"\0\0secret").is_none());
        assert!(plain(b"a\0b\0c\0d").is_none());
        assert_eq!(decode("="), Some(Vec::new()));
        assert_eq!(decode("AHUAcA==").as_deref(), Some(&b"\0u\0p"[..]));
        assert_eq!(decode("not base64!"), None);
    }
}
