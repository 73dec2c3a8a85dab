//! The one error type of the server: its status, code, message and JSON body. Handlers
//! and the store return `Error`; nothing else builds error JSON. `http::error_response`
//! turns it into a response (it needs the body type, and `http` stands on this leaf).

use std::fmt;

use hyper::StatusCode;
use serde_json::{Map, Value, json};

/// Everything that can go wrong in a request, named by what went wrong.
#[derive(Debug)]
pub enum Error {
    /// No token, an unknown token, or an expired session.
    Unauthorized,
    /// Login with a wrong username or password (the same answer for both).
    InvalidCredentials,
    /// Authenticated, but not allowed (admin routes, someone else's `?user=`).
    Forbidden(&'static str),
    /// No such thing, or not yours: the two are indistinguishable on purpose.
    NotFound,
    /// One or more fields break their rule; the first is `field`.
    Invalid(Vec<(String, String)>),
    /// The request itself is malformed (not a field's fault).
    BadRequest {
        code: &'static str,
        message: String,
    },
    MethodNotAllowed(&'static str),
    /// A unique value is taken, or the change would break an invariant.
    Conflict {
        code: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    /// The row exists but its bytes are gone from disk.
    Gone,
    /// 410 for a share or file request that no longer takes visitors: `share_expired`,
    /// `share_exhausted`, `request_expired`, `request_full`.
    Closed(&'static str),
    /// 401 for a visitor without a share's or request's password (`share_password_required`),
    /// or with a wrong one (`wrong_password`).
    PasswordRequired(&'static str),
    TooLarge(String),
    /// 460 (tus's checksum extension): a `PATCH`'s bytes are not what `Upload-Checksum`
    /// said; they were dropped.
    ChecksumMismatch,
    /// 412: a tus request without `Tus-Resumable: 1.0.0`.
    TusVersion,
    /// 429: the account has this many unfinished resumable uploads already.
    TooManyUploads(u64),
    /// The request head is over `--max-header-size` or has more than `--max-headers`.
    HeadersTooLarge(String),
    /// The request stopped arriving: its head within `--header-timeout`, or its body for
    /// longer than `--body-idle-timeout`.
    RequestTimeout,
    UnsupportedMediaType(String),
    RangeNotSatisfiable {
        size: u64,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    InsufficientStorage,
    /// The upload would take its account past its quota of `quota` bytes.
    QuotaExceeded {
        quota: u64,
    },
    /// The database cannot be reached.
    Unavailable(String),
    /// A bug or an I/O failure: logged with context, answered without details.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![(field.to_string(), message.into())])
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest {
            code: "bad_request",
            message: message.into(),
        }
    }

    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        Error::Internal(format!("{context}: {err}"))
    }

    pub fn taken(field: &'static str) -> Self {
        Error::Conflict {
            code: "taken",
            field: Some(field),
            message: format!("this {} is already taken", field.replace('_', " ")),
        }
    }

    /// The message without its code, for one line on the operator's terminal; includes
    /// the details a client is never shown.
    pub fn detail(&self) -> String {
        match self {
            Error::Internal(detail) | Error::Unavailable(detail) => detail.clone(),
            _ => self.code_and_message().1,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized | Error::InvalidCredentials | Error::PasswordRequired(_) => {
                StatusCode::UNAUTHORIZED
            }
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Invalid(_) | Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Gone | Error::Closed(_) => StatusCode::GONE,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::ChecksumMismatch => StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            Error::TusVersion => StatusCode::PRECONDITION_FAILED,
            Error::TooManyUploads(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::InsufficientStorage | Error::QuotaExceeded { .. } => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Error::Unauthorized => (
                "unauthorized",
                "log in first: the token is missing, unknown or expired".into(),
            ),
            Error::InvalidCredentials => {
                ("invalid_credentials", "wrong username or password".into())
            }
            Error::Forbidden(code) => (code, forbidden_message(code).into()),
            Error::NotFound => ("not_found", "no such thing here".into()),
            Error::Invalid(fields) => {
                let message = fields
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>();
                ("invalid", message.join("; "))
            }
            Error::BadRequest { code, message } => (code, message.clone()),
            Error::MethodNotAllowed(_) => (
                "method_not_allowed",
                "this path does not take that method".into(),
            ),
            Error::Conflict { code, message, .. } => (code, message.clone()),
            Error::Gone => (
                "missing",
                "the file's bytes are missing from the server's disk".into(),
            ),
            Error::Closed(code) | Error::PasswordRequired(code) => {
                (code, visitor_message(code).into())
            }
            Error::TooLarge(message) => ("too_large", message.clone()),
            Error::ChecksumMismatch => (
                "checksum_mismatch",
                "the bytes are not what Upload-Checksum says; they were dropped: send them again"
                    .into(),
            ),
            Error::TusVersion => (
                "tus_version",
                "this server speaks tus 1.0.0: send Tus-Resumable: 1.0.0".into(),
            ),
            Error::TooManyUploads(max) => (
                "too_many_uploads",
                format!(
                    "this account has {max} unfinished uploads already: finish or delete one first"
                ),
            ),
            Error::HeadersTooLarge(message) => ("headers_too_large", message.clone()),
            Error::RequestTimeout => (
                "request_timeout",
                "the request stopped arriving before it was complete; send it again".into(),
            ),
            Error::UnsupportedMediaType(message) => ("unsupported_media_type", message.clone()),
            Error::RangeNotSatisfiable { size } => (
                "range_not_satisfiable",
                format!("the range is outside the file's {size} bytes"),
            ),
            Error::TooManyRequests { retry_after_secs } => (
                "too_many_requests",
                format!("too many attempts; try again in {retry_after_secs} s"),
            ),
            Error::InsufficientStorage => {
                ("insufficient_storage", "the server's disk is full".into())
            }
            Error::QuotaExceeded { quota } => (
                "quota_exceeded",
                format!("this upload would take the account past its quota of {quota} bytes"),
            ),
            Error::Unavailable(_) => (
                "unavailable",
                "the database is unavailable; try again shortly".into(),
            ),
            Error::Internal(_) => ("internal", "internal server error".into()),
        }
    }

    /// `{"error": {"code", "message", "field"?, "fields"?}}`.
    pub fn body(&self) -> Value {
        let (code, message) = self.code_and_message();
        let mut error = Map::new();
        error.insert("code".into(), json!(code));
        error.insert("message".into(), json!(message));
        match self {
            Error::Invalid(fields) => {
                if let Some((first, _)) = fields.first() {
                    error.insert("field".into(), json!(first));
                }
                if fields.len() > 1 {
                    let all: Map<String, Value> =
                        fields.iter().map(|(f, m)| (f.clone(), json!(m))).collect();
                    error.insert("fields".into(), Value::Object(all));
                }
            }
            Error::Conflict {
                field: Some(field), ..
            } => {
                error.insert("field".into(), json!(field));
            }
            // So that a client can say how much room there is without parsing the message.
            Error::QuotaExceeded { quota } => {
                error.insert("quota_bytes".into(), json!(quota));
            }
            _ => {}
        }
        json!({ "error": error })
    }

    /// The error as a whole HTTP/1.1 response that ends the connection, for where hyper
    /// has no request to answer through: a request head that never finished arriving.
    pub fn raw_http_response(&self) -> Vec<u8> {
        let status = self.status();
        let body = self.body().to_string();
        let mut out = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
             x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }
}

fn forbidden_message(code: &str) -> &'static str {
    match code {
        "registration_closed" => "registration is closed; ask an administrator for an account",
        "invalid_link" => "this link is not valid",
        "link_expired" => "this link has expired; ask for a new one",
        _ => "you are not allowed to do that",
    }
}

fn visitor_message(code: &str) -> &'static str {
    match code {
        "share_expired" => "this link has expired",
        "share_exhausted" => "this link has been downloaded as many times as it allows",
        "request_expired" => "this upload link has expired",
        "request_full" => "this upload link takes no more files",
        "share_password_required" => "this link needs its password: POST it to the unlock address",
        "wrong_password" => "wrong password",
        "upload_expired" => {
            "this upload waited too long for its next bytes and was removed: start it again"
        }
        "upload_lost" => "this upload's bytes are gone from the server: start it again",
        _ => "this link takes no more visitors",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, message) = self.code_and_message();
        match self {
            Error::Internal(detail) | Error::Unavailable(detail) => write!(f, "{code}: {detail}"),
            _ => write!(f, "{code}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
