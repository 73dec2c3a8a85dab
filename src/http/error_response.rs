//! `Error` as a response: the JSON body of `Error::body`, its status, and the headers
//! some errors carry. Every error answer the server sends goes through here.

use hyper::header::{ALLOW, CONTENT_RANGE, HeaderValue, RETRY_AFTER};

use super::{Response, json_response};
use crate::error::Error;

impl Error {
    /// The JSON error response: `{"error": {"code", "message", "field"?, "fields"?}}`.
    pub fn into_response(self) -> Response {
        match &self {
            Error::Internal(detail) => log::error!("internal error: {detail}"),
            Error::Unavailable(detail) => log::warn!("database unavailable: {detail}"),
            _ => {}
        }
        let mut response = json_response(self.status(), &self.body());
        let headers = response.headers_mut();
        match self {
            Error::TooManyRequests { retry_after_secs } => {
                headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            Error::RangeNotSatisfiable { size } => {
                if let Ok(v) = HeaderValue::from_str(&super::range::unsatisfied(size)) {
                    headers.insert(CONTENT_RANGE, v);
                }
            }
            Error::MethodNotAllowed(allow) => {
                headers.insert(ALLOW, HeaderValue::from_static(allow));
            }
            Error::TusVersion => {
                headers.insert("tus-version", HeaderValue::from_static("1.0.0"));
            }
            _ => {}
        }
        response
    }
}
