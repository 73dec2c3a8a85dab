//! JSON request bodies: read with a size limit, then taken apart field by field so that
//! every wrong type, missing value or unknown field is answered naming that field.

use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::RequestBody;

/// JSON bodies larger than this are refused with 413.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A JSON object whose fields are taken one by one; `finish` refuses any left over.
pub struct Fields(Map<String, Value>);

pub async fn read_object(body: RequestBody) -> Result<Fields> {
    let bytes = match Limited::new(body, MAX_JSON_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(Error::TooLarge(format!(
                "JSON bodies are limited to {} KiB",
                MAX_JSON_BODY / 1024
            )));
        }
        Err(_) => return Err(Error::bad_request("the request body could not be read")),
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        Ok(_) => Err(invalid_json("the body must be a JSON object")),
        Err(e) => Err(invalid_json(&format!("the body is not valid JSON: {e}"))),
    }
}

fn invalid_json(message: &str) -> Error {
    Error::BadRequest {
        code: "invalid_json",
        message: message.to_string(),
    }
}

impl Fields {
    /// A string field, `None` when absent; `null` counts as absent.
    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid(name, "must be a string")),
        }
    }

    pub fn str(&mut self, name: &str) -> Result<String> {
        self.opt_str(name)?
            .ok_or_else(|| Error::invalid(name, "is required"))
    }

    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(Error::invalid(name, "must be true or false")),
        }
    }

    /// Refuses fields nobody took, so a typo is an error rather than silently ignored.
    pub fn finish(self) -> Result<()> {
        match self.0.keys().next() {
            Some(unknown) => Err(Error::invalid(unknown, "unknown field")),
            None => Ok(()),
        }
    }
}
