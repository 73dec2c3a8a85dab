//! The http group: small HTTP helpers shared by handlers: the body and response types,
//! JSON in and out with limits, query strings, where a request came from, ranges,
//! content-disposition, and `Error` as a response. May use only the leaves.

pub mod disposition;
mod error_response;
pub mod json;
pub mod range;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::StatusCode;
use hyper::body::{Body as _, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;
use tokio::time::Sleep;

use crate::config::JsonLimits;

/// Every response body: whole (JSON, assets) or streamed from disk.
pub type Body = BoxBody<Bytes, std::io::Error>;
pub type Response = hyper::Response<Body>;
pub type Request = hyper::Request<RequestBody>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// `value` as the JSON body. Written straight from the value (no `serde_json::Value` in
/// between): on hot endpoints building that tree cost more than the database lookup.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    // Our bodies are structs and string-keyed maps, which always serialize; should one
    // ever not, the client gets a 500 it can see rather than a truncated 200.
    let (status, bytes) = match serde_json::to_vec(value) {
        Ok(bytes) => (status, bytes),
        Err(e) => {
            log::error!("cannot serialize a response body: {e}");
            let body = br#"{"error":{"code":"internal","message":"internal server error"}}"#;
            (StatusCode::INTERNAL_SERVER_ERROR, body.to_vec())
        }
    };
    json_bytes_response(status, bytes)
}

/// `bytes`, which must be JSON, as the body of an API answer.
pub fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = hyper::Response::new(full(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // API answers carry account data: never cache them anywhere.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn ok_json(value: impl Serialize) -> Response {
    json_response(StatusCode::OK, &value)
}

pub fn no_content() -> Response {
    let mut response = hyper::Response::new(empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The query string's parameters; the first of repeated names wins.
pub fn query(req: &Request) -> HashMap<String, String> {
    let mut params = HashMap::new();
    if let Some(q) = req.uri().query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            params
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
    }
    params
}

pub fn header_str(headers: &HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `If-None-Match` names `etag` (or `*`); weak tags compare equal to strong ones,
/// as RFC 9110 §13.1.2 asks for this header.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> Option<bool> {
    let tags = header_str(headers, hyper::header::IF_NONE_MATCH)?;
    Some(
        tags.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag),
    )
}

/// A request body that remembers whether it was read to its end, so the server can tell
/// a client not to reuse a connection whose unread body it is about to abandon, and that
/// fails when the client sends nothing for `--body-idle-timeout` (slowloris on bodies).
/// It also carries the JSON limits, so `json::read_object` needs no more than the body.
pub struct RequestBody {
    inner: Incoming,
    state: Arc<BodyState>,
    idle_timeout: Duration,
    /// Armed when we start waiting for the client, not per chunk: a chunk that is ready
    /// costs nothing, and time the handler spends (writing to disk) is not the client's.
    idle: Option<Pin<Box<Sleep>>>,
    waiting: bool,
    json: JsonLimits,
}

/// What the server learns about a request body once the handler is done with it.
#[derive(Default)]
pub struct BodyState {
    finished: AtomicBool,
    timed_out: AtomicBool,
}

impl BodyState {
    /// Whether the body was read to its end.
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    /// Whether the client stopped sending the body for longer than the idle timeout.
    pub fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }
}

impl RequestBody {
    /// The body, and its state for the server to read after the handler.
    pub fn new(
        inner: Incoming,
        idle_timeout: Duration,
        json: JsonLimits,
    ) -> (RequestBody, Arc<BodyState>) {
        let state = Arc::new(BodyState::default());
        state
            .finished
            .store(inner.is_end_stream(), Ordering::Relaxed);
        let body = RequestBody {
            inner,
            state: state.clone(),
            idle_timeout,
            idle: None,
            waiting: false,
            json,
        };
        (body, state)
    }

    pub fn json_limits(&self) -> JsonLimits {
        self.json
    }
}

impl hyper::body::Body for RequestBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => {}
            Poll::Ready(polled) => {
                this.waiting = false;
                if polled.is_none() || this.inner.is_end_stream() {
                    this.state.finished.store(true, Ordering::Relaxed);
                }
                return Poll::Ready(polled.map(|r| r.map_err(std::io::Error::other)));
            }
        }
        let deadline = tokio::time::Instant::now() + this.idle_timeout;
        let idle = this
            .idle
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !this.waiting {
            idle.as_mut().reset(deadline);
            this.waiting = true;
        }
        if idle.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.state.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the client stopped sending the request body",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The TCP peer of a connection, put into each request's extensions by the server.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

/// The client's IP: the TCP peer, or with `--trust-proxy` the address the nearest proxy
/// appended to `X-Forwarded-For` (the rightmost; the ones before it are client-supplied).
pub fn client_ip(req: &Request, trust_proxy: bool) -> IpAddr {
    let peer = req.extensions().get::<Peer>().map(|p| p.0.ip());
    if trust_proxy
        && let Some(ip) = header_str(req.headers(), "x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    peer.unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The base URL the client used, for links the server hands out: `--public-url` when set,
/// else the `Host` header (checked to be a plain host[:port]), else the listen address.
pub fn base_url(
    req: &Request,
    public_url: Option<&str>,
    trust_proxy: bool,
    listen: SocketAddr,
) -> String {
    if let Some(url) = public_url {
        return url.to_string();
    }
    let scheme = match header_str(req.headers(), "x-forwarded-proto") {
        Some("https") if trust_proxy => "https",
        _ => "http",
    };
    let host = header_str(req.headers(), hyper::header::HOST)
        .filter(|h| !h.is_empty() && h.len() <= 255)
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(str::to_string)
        .unwrap_or_else(|| listen.to_string());
    format!("{scheme}://{host}")
}
