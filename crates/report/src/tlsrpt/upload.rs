//! Delivering a report by HTTPS POST (RFC 8460 §5.4): the gzip report as
//! `application/tlsrpt+gzip`, to an `https:` `rua` URI, over a connection
//! authenticated under WebPKI for the URI's host (the MTA-STS fetcher's
//! connection, `policy::sts::connect_webpki`). Any 2xx is success; a
//! redirect is not followed (it is a failure, as for the MTA-STS policy).

use dns::Resolver;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use policy::sts::{FetchError, FetchOptions, connect_webpki};

use super::mail::GZIP_MEDIA_TYPE;

/// Why an upload failed; every kind is worth another try later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The URI is not `https://host[:port][/path]`.
    #[error("{} is not an https URI with a host", smtp::quoted(.uri))]
    BadUri {
        /// The URI.
        uri: String,
    },
    /// Resolving, connecting or authenticating the host failed.
    #[error("{uri}: {source}")]
    Connect {
        /// The URI.
        uri: String,
        /// What failed.
        source: FetchError,
    },
    /// HTTP failed.
    #[error("{uri}: HTTP: {reason}")]
    Http {
        /// The URI.
        uri: String,
        /// What failed.
        reason: String,
    },
    /// The endpoint answered other than 2xx (a redirect included).
    #[error("{uri}: HTTP status {status}{}", .location.as_deref().map(|l| format!(", redirect to {} not followed", smtp::quoted(l))).unwrap_or_default())]
    Status {
        /// The URI.
        uri: String,
        /// The status.
        status: u16,
        /// Where a redirect pointed.
        location: Option<String>,
    },
    /// No answer in time.
    #[error("{uri}: no answer within {}", smtp::duration(.timeout))]
    Timeout {
        /// The URI.
        uri: String,
        /// The bound.
        timeout: std::time::Duration,
    },
}

impl UploadError {
    /// Whether trying again later may succeed: a bad URI will not.
    pub fn is_temporary(&self) -> bool {
        !matches!(self, Self::BadUri { .. })
    }
}

/// The host, port and path of `https://host[:port][/path]`.
fn split(uri: &str, default_port: u16) -> Option<(String, u16, String)> {
    let rest = uri
        .get(..8)?
        .eq_ignore_ascii_case("https://")
        .then(|| &uri[8..])?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, default_port),
    };
    (!host.is_empty() && !host.contains(['@', '[', ']'])).then(|| (host.to_owned(), port, path))
}

/// POSTs `gzip` (the compressed report) to `uri`, within `options.timeout`.
/// `options.port` is the port when the URI names none.
pub async fn upload(
    resolver: &Resolver,
    uri: &str,
    gzip: Vec<u8>,
    options: &FetchOptions,
) -> Result<(), UploadError> {
    tokio::time::timeout(
        options.timeout,
        upload_unbounded(resolver, uri, gzip, options),
    )
    .await
    .unwrap_or_else(|_| {
        Err(UploadError::Timeout {
            uri: uri.to_owned(),
            timeout: options.timeout,
        })
    })
}

async fn upload_unbounded(
    resolver: &Resolver,
    uri: &str,
    gzip: Vec<u8>,
    options: &FetchOptions,
) -> Result<(), UploadError> {
    let bad = || UploadError::BadUri {
        uri: uri.to_owned(),
    };
    let (host, port, path) = split(uri, options.port).ok_or_else(bad)?;
    let name = Resolver::parse_name(&host).map_err(|_| bad())?;
    let options = options.clone().with_port(port);
    let (stream, _, _) = connect_webpki(resolver, &name, &options)
        .await
        .map_err(|source| UploadError::Connect {
            uri: uri.to_owned(),
            source,
        })?;
    let http = |e: &dyn std::fmt::Display| UploadError::Http {
        uri: uri.to_owned(),
        reason: e.to_string(),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http(&e))?;
    let driver = tokio::spawn(async move {
        // Errors surface through `send_request`.
        let _ = connection.await;
    });
    let host_header = HeaderValue::from_str(&host).map_err(|e| http(&e))?;
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(HOST, host_header)
        .header(CONTENT_TYPE, HeaderValue::from_static(GZIP_MEDIA_TYPE))
        .header(USER_AGENT, HeaderValue::from_static("Sealane TLS-RPT"))
        .body(Full::new(Bytes::from(gzip)))
        .map_err(|e| http(&e))?;
    let result = sender.send_request(request).await;
    let outcome = match result {
        Err(e) => Err(http(&e)),
        Ok(response) => {
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            // The answer's body means nothing to us; read it so the
            // connection ends cleanly, whatever it holds.
            let _ = response.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(UploadError::Status {
                    uri: uri.to_owned(),
                    status: status.as_u16(),
                    location,
                })
            }
        }
    };
    driver.abort();
    outcome
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn https_uris_split_into_host_port_and_path() {
        assert_eq!(
            split("https://reports.example.net/v1/tlsrpt", 443),
            Some(("reports.example.net".into(), 443, "/v1/tlsrpt".into()))
        );
        assert_eq!(
            split("HTTPS://r.example:8443", 443),
            Some(("r.example".into(), 8443, "/".into()))
        );
        assert_eq!(split("http://r.example/", 443), None);
        assert_eq!(split("https://user@r.example/", 443), None);
        assert_eq!(split("https://r.example:x/", 443), None);
    }
}
