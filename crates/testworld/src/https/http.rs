//! HTTP/1.1 written by hand (RFC 9112): reading a request head, and the
//! bytes of a response exactly as the behaviour says — including the lies
//! a well-behaved HTTP library would refuse to tell.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::behaviour::{Framing, OVERSIZED_BODY, OVERSIZED_LENGTH, PolicyBehaviour};

/// The path of the policy (RFC 8461 §3.2).
pub const WELL_KNOWN_PATH: &str = "/.well-known/mta-sts.txt";

/// The most a request head may take; a fetcher's is a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// How long a client may take to send its request head.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A request head: request line and header fields (RFC 9112 §3, §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
}

/// Reads up to and including the empty line that ends a request head.
/// `None` when the client closes first, or sends more than [`MAX_HEAD`]
/// bytes without ending the head.
pub(crate) async fn read_head(
    stream: &mut (impl AsyncRead + Unpin),
) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read(&mut byte).await? == 0 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    Ok(Some(head))
}

/// Parses a request head; `None` when the request line is not
/// `METHOD TARGET VERSION`. Header lines without a colon are skipped.
pub(crate) fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target, version) = (
        request_line.next()?,
        request_line.next()?,
        request_line.next()?,
    );
    if method.is_empty() || target.is_empty() || request_line.next().is_some() {
        return None;
    }
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
    })
}

/// The most a request body may take (a TLS report upload, RFC 8460 §5.4).
const MAX_BODY: usize = 1024 * 1024;

/// Reads the body `Content-Length` announces; `None` when it is larger
/// than [`MAX_BODY`] or the client closes first.
pub(crate) async fn read_body(
    stream: &mut (impl AsyncRead + Unpin),
    request: &super::record::Request,
) -> io::Result<Option<Vec<u8>>> {
    let length = match request.header("content-length") {
        None => return Ok(Some(Vec::new())),
        Some(value) => match value.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => n,
            _ => return Ok(None),
        },
    };
    let mut body = vec![0u8; length];
    match stream.read_exact(&mut body).await {
        Ok(_) => Ok(Some(body)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// The answer to a POST (a report upload): the behaviour's status, its
/// `Location` if it redirects, and no body.
pub(crate) fn upload_response(behaviour: &PolicyBehaviour) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        behaviour.status,
        reason(behaviour.status)
    );
    if let Some(location) = &behaviour.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    head.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    head.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Test World Status",
    }
}

/// The whole response the behaviour gives to a request for the policy.
pub(crate) fn policy_response(behaviour: &PolicyBehaviour) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        behaviour.status,
        reason(behaviour.status)
    );
    if let Some(media) = &behaviour.content_type {
        head.push_str(&format!("Content-Type: {media}\r\n"));
    }
    if let Some(location) = &behaviour.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    let policy = behaviour.policy.as_bytes();
    let body = match behaviour.framing {
        Framing::Length => {
            head.push_str(&format!("Content-Length: {}\r\n", policy.len()));
            policy.to_vec()
        }
        Framing::OversizedLength => {
            head.push_str(&format!("Content-Length: {OVERSIZED_LENGTH}\r\n"));
            policy.to_vec()
        }
        Framing::Chunked => {
            head.push_str("Transfer-Encoding: chunked\r\n");
            chunked(policy.split_inclusive(|b| *b == b'\n'))
        }
        Framing::OversizedBody => {
            head.push_str("Transfer-Encoding: chunked\r\n");
            chunked(padded(policy).chunks(4096))
        }
    };
    head.push_str("Connection: close\r\n\r\n");
    let mut response = head.into_bytes();
    response.extend_from_slice(&body);
    response
}

/// The answer to a request for anything but the policy.
pub(crate) fn not_found() -> Vec<u8> {
    let body = "not found\n";
    format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `policy`, then `x-pad:` lines until the body holds at least
/// [`OVERSIZED_BODY`] bytes.
fn padded(policy: &[u8]) -> Vec<u8> {
    let mut body = policy.to_vec();
    if !body.is_empty() && !body.ends_with(b"\n") {
        body.extend_from_slice(b"\r\n");
    }
    let line = format!("x-pad: {}\r\n", "a".repeat(4000));
    while body.len() < OVERSIZED_BODY {
        body.extend_from_slice(line.as_bytes());
    }
    body
}

/// Chunked transfer coding (RFC 9112 §7.1): each piece as a chunk, then the
/// last chunk and the end of the (empty) trailer section.
fn chunked<'a>(pieces: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces.filter(|piece| !piece.is_empty()) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::TestCa;

    fn behaviour() -> PolicyBehaviour {
        let identity = TestCa::new("Http CA").issue(&["mta-sts.example.test"]);
        PolicyBehaviour::serving(&identity, "version: STSv1\nmode: none\n")
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn request_head_parses_with_headers() {
        let head = parse_head(b"GET /x HTTP/1.1\r\nHost: a.test\r\nX-Odd:  v : w \r\nbad\r\n\r\n")
            .unwrap();
        assert_eq!((head.method.as_str(), head.target.as_str()), ("GET", "/x"));
        assert_eq!(head.version, "HTTP/1.1");
        assert_eq!(
            head.headers,
            [
                ("Host".into(), "a.test".into()),
                ("X-Odd".into(), "v : w".into())
            ]
        );
        assert_eq!(parse_head(b"GET /x\r\n\r\n"), None);
        assert_eq!(parse_head(b"GET /x HTTP/1.1 extra\r\n\r\n"), None);
    }

    #[test]
    fn valid_response_has_true_length_and_text_plain() {
        let response = text(&policy_response(&behaviour()));
        assert_eq!(
            response,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\nConnection: close\r\n\r\nversion: STSv1\nmode: none\n"
        );
    }

    #[test]
    fn redirect_carries_location_and_chosen_status() {
        let response = text(&policy_response(
            &behaviour().redirect("https://elsewhere.test/").status(302),
        ));
        assert!(response.starts_with("HTTP/1.1 302 Found\r\n"), "{response}");
        assert!(response.contains("\r\nLocation: https://elsewhere.test/\r\n"));
    }

    #[test]
    fn chunked_policy_is_one_chunk_per_line() {
        let response = text(&policy_response(&behaviour().no_content_type().chunked()));
        assert!(!response.contains("Content-Type"), "{response}");
        assert!(!response.contains("Content-Length"), "{response}");
        assert!(response.ends_with(
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nf\r\nversion: STSv1\n\r\nb\r\nmode: none\n\r\n0\r\n\r\n"
        ));
    }

    #[test]
    fn oversized_body_pads_past_the_limit_with_unknown_keys() {
        let body = padded(b"version: STSv1\nmode: none");
        assert!(body.len() >= OVERSIZED_BODY);
        let body = text(&body);
        assert!(body.starts_with("version: STSv1\nmode: none\r\nx-pad: aaa"));
        assert!(body.lines().skip(2).all(|line| line.starts_with("x-pad: ")));
    }

    #[test]
    fn oversized_length_announces_more_than_it_sends() {
        let response = text(&policy_response(&behaviour().oversized_content_length()));
        assert!(
            response.contains("\r\nContent-Length: 70000\r\n"),
            "{response}"
        );
        assert!(response.ends_with("\r\n\r\nversion: STSv1\nmode: none\n"));
    }
}
