//! The one route of the policy host: `GET`/`HEAD /.well-known/mta-sts.txt`
//! answers the policy as `text/plain; charset=utf-8` (RFC 8461 §3.3);
//! anything else is 404, and other methods 405.

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use policy::sts::WELL_KNOWN_PATH;

/// The media type of the policy (RFC 8461 §3.3).
pub const CONTENT_TYPE_POLICY: &str = "text/plain; charset=utf-8";

/// The response to `request`, given the policy to serve.
pub(crate) fn respond<B>(request: &Request<B>, policy: Arc<Vec<u8>>) -> Response<Full<Bytes>> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    if request.uri().path() != WELL_KNOWN_PATH {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    // hyper sends no body for HEAD but keeps the Content-Length of the GET.
    let mut response = Response::new(Full::new(Bytes::from(policy.as_ref().clone())));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_POLICY));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_POLICY));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str) -> Request<()> {
        Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
    }

    #[test]
    fn routes() {
        let policy = Arc::new(b"version: STSv1\n".to_vec());
        let ok = respond(&request(Method::GET, WELL_KNOWN_PATH), policy.clone());
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[CONTENT_TYPE], CONTENT_TYPE_POLICY);
        let head = respond(&request(Method::HEAD, WELL_KNOWN_PATH), policy.clone());
        assert_eq!(head.status(), StatusCode::OK);
        let other = respond(&request(Method::GET, "/"), policy.clone());
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        let post = respond(&request(Method::POST, WELL_KNOWN_PATH), policy);
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[ALLOW], "GET, HEAD");
    }
}
