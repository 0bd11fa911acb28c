//! A small HTTP/1.1 client for the console's tests: one request per
//! connection, over plain TCP or TLS, with a cookie jar of one cookie.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// The `name=value` of the `Set-Cookie` header.
    pub fn cookie(&self) -> Option<String> {
        self.header("set-cookie")
            .map(|c| c.split(';').next().unwrap().to_owned())
    }
}

/// Where the client connects, and how.
#[derive(Clone)]
pub struct Client {
    pub address: SocketAddr,
    pub tls: Option<(tokio_rustls::TlsConnector, String)>,
    /// Sent as `Cookie:` when set.
    pub cookie: Option<String>,
    /// Sent as `X-CSRF-Token:` when set.
    pub csrf: Option<String>,
    /// Sent as `Origin:` when set.
    pub origin: Option<String>,
}

impl Client {
    pub fn plain(address: SocketAddr) -> Self {
        Self {
            address,
            tls: None,
            cookie: None,
            csrf: None,
            origin: None,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, Vec::new()).await
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> Answer {
        self.send(
            "POST",
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        self.send("POST", path, Some(content_type), body).await
    }

    /// Logs in with JSON; keeps the cookie and the CSRF token.
    pub async fn login(&mut self, user: &str, password: &str) -> Answer {
        let answer = self
            .post_json(
                "/api/v1/login",
                serde_json::json!({"user": user, "password": password}),
            )
            .await;
        if answer.status == 200 {
            self.cookie = answer.cookie();
            self.csrf = Some(answer.json()["csrf_token"].as_str().unwrap().to_owned());
        }
        answer
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let stream = TcpStream::connect(self.address).await.unwrap();
        match &self.tls {
            Some((connector, name)) => {
                let name = tls::pki_types::ServerName::try_from(name.clone()).unwrap();
                let stream = connector.connect(name, stream).await.unwrap();
                self.exchange(stream, method, path, content_type, body)
                    .await
            }
            None => {
                self.exchange(stream, method, path, content_type, body)
                    .await
            }
        }
    }

    async fn exchange<S>(
        &self,
        stream: S,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.address.to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let request = request.body(Full::new(Bytes::from(body))).unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}
