//! The spam verdict of a real filter (DESIGN §3): rspamd, asked over its
//! HTTP protocol (`POST /checkv2`, the message as the body and the
//! envelope in request headers: `IP`, `Helo`, `From`, one `Rcpt` per
//! recipient, `User` when the client authenticated). Its action decides:
//! `reject` refuses the message at DATA, `soft reject` and `greylist` ask
//! the client to try again, `add header` and `rewrite subject` mark it
//! (`X-Spam: Yes`) and send it from the `high-risk` pool, `no action`
//! accepts it. When rspamd cannot answer, `[spam] when_down` decides.

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use smtp::{ReceivedMessage, Reply, replies};
use tokio::net::TcpStream;
use tracing::{info, warn};

use crate::config::{SpamSettings, WhenDown};

/// The header field a message marked as spam gets.
pub(crate) const SPAM_HEADER: &str = "X-Spam: Yes\r\n";

/// Largest answer read from rspamd.
const MAX_ANSWER: usize = 1 << 20;

/// What the filter's verdict means for the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Take it as it is.
    Accept,
    /// Take it, marked, from the `high-risk` pool.
    Spam,
    /// Refuse it with this reply (a temporary one: greylisting, or no
    /// verdict).
    Refuse(Reply),
    /// Refuse it for good, as the filter's `reject` action says; the
    /// refusal is kept in the trace.
    Reject {
        /// The reply (550).
        reply: Reply,
        /// The action, as the filter named it.
        action: String,
        /// The filter's score.
        score: f64,
    },
}

/// The part of rspamd's answer we read.
#[derive(Debug, Deserialize)]
struct Answer {
    action: String,
    #[serde(default)]
    score: f64,
}

/// Why no verdict came.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
enum FilterError {
    #[error("cannot connect to rspamd at {address}: {source}")]
    Connect {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("rspamd did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("HTTP exchange with rspamd failed: {0}")]
    Http(String),
    #[error("rspamd answered HTTP status {0}")]
    Status(u16),
    #[error("rspamd's answer is not a /checkv2 result: {0}")]
    Answer(String),
}

/// Asks the filter about `message` (its data as we will store it, forged
/// authentication results removed) and turns the action into a verdict.
pub(crate) async fn check(
    settings: &SpamSettings,
    message: &ReceivedMessage,
    data: &[u8],
) -> Verdict {
    let asked = tokio::time::timeout(settings.timeout, ask(settings, message, data)).await;
    let answer = match asked {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => return down(settings, message, &e),
        Err(_) => return down(settings, message, &FilterError::Timeout(settings.timeout)),
    };
    let verdict = match answer.action.as_str() {
        "reject" => Verdict::Reject {
            reply: replies::SPAM_REJECTED.reply(),
            action: answer.action.clone(),
            score: answer.score,
        },
        "soft reject" | "greylist" => Verdict::Refuse(replies::SPAM_DEFERRED.reply()),
        "add header" | "rewrite subject" => Verdict::Spam,
        "no action" => Verdict::Accept,
        other => {
            return down(
                settings,
                message,
                &FilterError::Answer(format!("unknown action {}", smtp::quoted(other))),
            );
        }
    };
    info!(client = %message.session.client, from = %message.envelope.sender,
        action = %answer.action, score = answer.score, "spam filter verdict");
    verdict
}

fn down(settings: &SpamSettings, message: &ReceivedMessage, error: &FilterError) -> Verdict {
    warn!(client = %message.session.client, error = %error, when_down = ?settings.when_down, "no spam verdict");
    match settings.when_down {
        WhenDown::Tempfail => Verdict::Refuse(replies::SPAM_UNAVAILABLE.reply()),
        WhenDown::Accept => Verdict::Accept,
    }
}

async fn ask(
    settings: &SpamSettings,
    message: &ReceivedMessage,
    data: &[u8],
) -> Result<Answer, FilterError> {
    let stream = TcpStream::connect(settings.address)
        .await
        .map_err(|source| FilterError::Connect {
            address: settings.address,
            source,
        })?;
    let http = |e: &dyn std::fmt::Display| FilterError::Http(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http(&e))?;
    let driver = tokio::spawn(async move {
        // Errors surface through `send_request`.
        let _ = connection.await;
    });
    let result = async {
        let request = request(settings, message, data).map_err(|e| http(&e))?;
        let response = sender.send_request(request).await.map_err(|e| http(&e))?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| http(&e))?
            .to_bytes();
        if !status.is_success() {
            return Err(FilterError::Status(status.as_u16()));
        }
        serde_json::from_slice::<Answer>(&body).map_err(|e| FilterError::Answer(e.to_string()))
    }
    .await;
    driver.abort();
    result
}

/// The `/checkv2` request: the envelope in headers (rspamd's protocol),
/// the message as the body. Values the client chose are sent only when
/// they are valid header values.
fn request(
    settings: &SpamSettings,
    message: &ReceivedMessage,
    data: &[u8],
) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
    let mut builder = Request::post("/checkv2")
        .header(HOST, HeaderValue::from_str(&settings.host)?)
        .header(CONTENT_LENGTH, data.len())
        .header("IP", message.session.client.ip().to_string());
    let mut add = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            builder = std::mem::take(&mut builder).header(name, value);
        }
    };
    if let Some(helo) = &message.session.helo {
        add("Helo", helo);
    }
    add("From", &message.envelope.sender);
    for rcpt in &message.envelope.recipients {
        add("Rcpt", &rcpt.address);
    }
    if let Some(user) = &message.session.user {
        add("User", user);
    }
    builder.body(Full::new(Bytes::copy_from_slice(data)))
}
