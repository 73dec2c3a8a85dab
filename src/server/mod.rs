//! The server group: the listener (this file), the route table (`router`), the web app's
//! files (`assets`), the lingering close (`linger`), what systemd hands us (`systemd`)
//! and the addresses printed at start (`announce`). May use: `api`, `jobs` (it starts the
//! reaper), `app`, `auth`, `http` and the leaves; nothing below imports it but `cli`.
//!
//! This file: accept connections, serve HTTP/1.1 on each, log one line per request,
//! add the headers every response carries, and drain in-flight requests on shutdown.

pub mod announce;
pub mod assets;
mod linger;
pub mod router;
pub mod systemd;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{
    CONNECTION, CONTENT_LENGTH, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::api::uploads::TUS_VERSION;
use crate::app::App;
use crate::config::Limits;
use crate::error::Error;
use crate::http::{Body, BodyState, Peer, Request, RequestBody, Response};
use crate::jobs::reaper::Reaper;
use crate::memory;
use linger::LingeringStream;

/// How long in-flight requests may run after a stop signal before the process exits.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves until SIGTERM or Ctrl-C. `socket` is a listener systemd opened (socket
/// activation); without one, binds `--listen`.
pub async fn serve(app: App, socket: Option<std::net::TcpListener>) -> Result<(), String> {
    // Held until the process exits: a second server on the same data dir would empty the
    // first one's tmp/ and race it on every file.
    let _lock = app.blobs.lock_for_server()?;
    match app.blobs.empty_tmp() {
        Ok(0) => {}
        Ok(n) => log::info!("removed {n} unfinished uploads from tmp/"),
        Err(e) => return Err(format!("cannot empty tmp/: {e}")),
    }
    let listener = listen(app.config.listen, socket).await?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let app = Arc::new(app);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let trimmer = tokio::spawn(memory::trim_when_quiet(stop_rx.clone()));
    let reaper = tokio::spawn(Reaper::new(&app).run(stop_rx.clone()));

    // Scripts and tests read the first line to learn the port; logs go to stderr.
    for line in announce::lines(local) {
        println!("{line}");
    }
    log::info!(
        "serving {} on http://{local}/ (database: {}, sessions: idle {}, max {})",
        app.config.data_dir.display(),
        app.store.dialect(),
        crate::units::format_duration(app.config.session_idle),
        crate::units::format_duration(app.config.session_max_age)
    );
    if local.ip().is_unspecified() && app.config.registration_open {
        log::info!(
            "registration is open: anyone who can reach this port can create an account \
             (--registration closed to stop that)"
        );
    }
    systemd::ready(&format!("serving on http://{local}/"));

    let limits = app.config.limits;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // hyper refuses a head over these with a bare 431 and no body. Set at twice the
        // limits, they are only the backstop: `within_head_limits` refuses the ordinary
        // case itself, with a JSON error that says which limit and by how much.
        .max_header_size(limits.max_header_size.saturating_mul(2))
        .max_headers(limits.max_headers.saturating_mul(2));
    // Over --max-connections we stop accepting: further clients wait in the kernel's
    // listen backlog, costing us no file descriptor and no task, and are served as soon
    // as a connection ends. Accepting only to answer 503 would spend the very descriptors
    // the limit protects, and a client that waits a moment gets its answer anyway.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut signal = std::pin::pin!(shutdown_signal());
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = &mut signal => break,
        };
        let Ok(slot) = slot else { break };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        log::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // Small responses written as header + body would otherwise wait ~40 ms
                // for the peer's delayed ACK.
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let (parts, body) = req.into_parts();
                    let (body, body_state) =
                        RequestBody::new(body, limits.body_idle_timeout, limits.json);
                    let mut req = Request::from_parts(parts, body);
                    req.extensions_mut().insert(Peer(peer));
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(handle(&app, req, body_state).await) }
                });
                let conn = builder
                    .serve_connection(TokioIo::new(LingeringStream::new(stream)), service);
                let stop = stop_rx.clone();
                tokio::spawn(async move {
                    drive(conn, stop, peer).await;
                    drop(slot);
                });
            }
            _ = &mut signal => break,
        }
    }

    log::info!(
        "stopping: no new connections, waiting up to {}s for requests in flight",
        DRAIN_TIMEOUT.as_secs()
    );
    systemd::stopping();
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it ends: all of them back means all finished.
    let all_slots = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all_slots) => log::info!("all requests finished"),
        _ = tokio::time::sleep(DRAIN_TIMEOUT) => log::warn!("gave up waiting for requests in flight"),
    }
    let _ = reaper.await;
    let _ = trimmer.await;
    Ok(())
}

/// Serves one connection until it ends, or, once the server is stopping, until its
/// request in flight is answered.
async fn drive<S>(
    mut conn: http1::Connection<TokioIo<LingeringStream>, S>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    peer: std::net::SocketAddr,
) where
    S: hyper::service::HttpService<Incoming, ResBody = Body>,
{
    let result = tokio::select! {
        result = &mut conn => result,
        // The guard `wait_for` returns must not live across the await below.
        _ = async { stop.wait_for(|stopping| *stopping).await.is_ok() } => {
            std::pin::Pin::new(&mut conn).graceful_shutdown();
            (&mut conn).await
        }
    };
    let Err(e) = result else { return };
    log::debug!("connection from {peer}: {e}");
    // hyper closes a connection whose request head did not finish within
    // --header-timeout without a word. A client that sent part of a head deserves to
    // know why (an idle keep-alive connection, with nothing read, is just closed).
    let parts = conn.into_parts();
    if e.is_timeout() && !parts.read_buf.is_empty() {
        let mut io = parts.io.into_inner();
        let response = Error::RequestTimeout.raw_http_response();
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            io.write_all(&response).await?;
            io.shutdown().await
        })
        .await;
    }
}

async fn listen(
    address: std::net::SocketAddr,
    socket: Option<std::net::TcpListener>,
) -> Result<TcpListener, String> {
    let Some(socket) = socket else {
        return TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"));
    };
    log::info!("using the socket systemd passed (LISTEN_FDS); --listen {address} is not used");
    socket
        .set_nonblocking(true)
        .and_then(|()| TcpListener::from_std(socket))
        .map_err(|e| format!("cannot use the socket systemd passed: {e}"))
}

/// Routes one request, adds the headers every response carries, and arranges for the
/// log line to be written when the body has been sent (or abandoned), so that its bytes
/// and milliseconds are what the client really got.
async fn handle(app: &App, req: Request, body_state: Arc<BodyState>) -> Response {
    let started = Instant::now();
    let line = LogLine {
        method: req.method().clone(),
        path: loggable_path(req.uri().path()),
        status: 0,
        started,
    };
    // tus asks `Tus-Resumable` of every answer under its endpoint, errors included.
    let tus = req.uri().path().starts_with("/api/uploads");
    let mut response = match within_head_limits(&req, &app.config.limits) {
        Ok(()) => router::route(app, req).await,
        Err(e) => e.into_response(),
    };
    // Whatever the handler made of the failed read (400, 500), the cause was the client.
    if body_state.timed_out() {
        response = Error::RequestTimeout.into_response();
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Share and signed URLs must not leak to other sites through the Referer header.
    parts
        .headers
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if tus {
        parts
            .headers
            .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    }
    // Answered before the body was read (401 on an upload, 413): hyper will close this
    // connection, so tell the client not to send its next request on it.
    if !body_state.finished() {
        parts
            .headers
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    let line = LogLine {
        status: parts.status.as_u16(),
        ..line
    };
    let expected = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    Response::from_parts(parts, LoggedBody::new(body, expected, line).boxed())
}

/// `--max-headers` and `--max-header-size`, checked on the parsed head. The size is
/// counted as the head was sent (request line, `name: value` lines, CRLFs) from what hyper
/// parsed, so optional whitespace around values is not counted.
fn within_head_limits(req: &Request, limits: &Limits) -> Result<(), Error> {
    let count = req.headers().len();
    if count > limits.max_headers {
        return Err(Error::HeadersTooLarge(format!(
            "the request has {count} headers; this server takes at most {} (--max-headers)",
            limits.max_headers
        )));
    }
    const CRLF: usize = 2;
    let request_line = req.method().as_str().len()
        + 1
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len())
        + 1
        + "HTTP/1.1".len()
        + CRLF;
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": ".len() + value.len() + CRLF)
        .sum();
    let size = request_line + headers + CRLF;
    if size > limits.max_header_size {
        return Err(Error::HeadersTooLarge(format!(
            "the request head is {size} bytes; this server takes at most {} (--max-header-size)",
            limits.max_header_size
        )));
    }
    Ok(())
}

/// What the request log says of one request: method, path without the query (it may hold
/// a link signature), status, bytes sent, milliseconds. Never headers: they hold tokens.
struct LogLine {
    method: hyper::Method,
    path: String,
    status: u16,
    started: Instant,
}

/// A response body that counts what goes out and writes the log line when dropped.
struct LoggedBody {
    inner: Body,
    line: LogLine,
    /// From `Content-Length`: hyper stops polling once that many bytes went out.
    expected: Option<u64>,
    sent: u64,
    finished: bool,
}

impl LoggedBody {
    fn new(inner: Body, expected: Option<u64>, line: LogLine) -> LoggedBody {
        LoggedBody {
            inner,
            line,
            expected,
            sent: 0,
            finished: false,
        }
    }
}

impl hyper::body::Body for LoggedBody {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            std::task::Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.sent += data.len() as u64;
                }
            }
            std::task::Poll::Ready(None) => self.finished = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        memory::request_finished();
        let LogLine {
            method,
            path,
            status,
            started,
        } = &self.line;
        // HEAD bodies are never sent; anything else left unsent means the client left.
        let done = self.finished
            || hyper::body::Body::is_end_stream(&self.inner)
            || Some(self.sent) == self.expected;
        let cut = if *method != hyper::Method::HEAD && !done {
            " (cut short)"
        } else {
            ""
        };
        log::info!(
            "{method} {path} {status} {}{cut} {}ms",
            self.sent,
            started.elapsed().as_millis()
        );
    }
}

/// The path as logged: a share or file request token is a credential, so it is cut out
/// (`/s/…/download`); what follows it stays, to tell the routes apart.
fn loggable_path(path: &str) -> String {
    for prefix in ["/s/", "/r/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let after = rest.find('/').map_or("", |at| &rest[at..]);
            return format!("{prefix}…{}", after.escape_debug());
        }
    }
    path.escape_debug().to_string()
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
}
