//! JSON request bodies: read with a size and a nesting limit, then taken apart field by
//! field so that every wrong type, missing value or unknown field is answered naming
//! that field.

use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::RequestBody;

/// A JSON object whose fields are taken one by one; `finish` refuses any left over.
pub struct Fields(Map<String, Value>);

/// Reads the body (413 over `--max-json-size`) as one JSON object (400 when nested
/// deeper than `--max-json-depth`, or not JSON, or not an object).
pub async fn read_object(body: RequestBody) -> Result<Fields> {
    let (bytes, max_depth) = read_json_body(body).await?;
    parse_object(&bytes, max_depth)
}

/// As `read_object`, but an empty body (or one of only whitespace) is `{}`: for a POST
/// whose body is optional.
pub async fn read_optional_object(body: RequestBody) -> Result<Fields> {
    let (bytes, max_depth) = read_json_body(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Fields(Map::new()));
    }
    parse_object(&bytes, max_depth)
}

/// The whole body, refused with 413 past `--max-json-size`; and the depth limit.
async fn read_json_body(body: RequestBody) -> Result<(bytes::Bytes, usize)> {
    let limits = body.json_limits();
    match Limited::new(body, limits.max_size).collect().await {
        Ok(collected) => Ok((collected.to_bytes(), limits.max_depth)),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Error::TooLarge(format!(
            "JSON bodies are limited to {} KiB",
            limits.max_size / 1024
        ))),
        Err(_) => Err(Error::bad_request("the request body could not be read")),
    }
}

fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Fields> {
    if depth(bytes) > max_depth {
        return Err(invalid_json(&format!(
            "the body nests arrays and objects deeper than {max_depth} levels"
        )));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        Ok(_) => Err(invalid_json("the body must be a JSON object")),
        Err(e) => Err(invalid_json(&format!("the body is not valid JSON: {e}"))),
    }
}

/// The deepest nesting of `[` and `{` outside strings, found in one pass before parsing
/// so that a deep body never reaches the recursive parser.
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
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

    /// A field that may be set to null on purpose: `None` when absent, `Some(None)` for
    /// `null` (a move to the root), `Some(Some(s))` for a string.
    pub fn nullable_str(&mut self, name: &str) -> Result<Option<Option<String>>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s))),
            Some(_) => Err(Error::invalid(name, "must be a string or null")),
        }
    }

    /// A whole number of 0 or more that may be set to null on purpose: `None` when
    /// absent, `Some(None)` for `null`.
    pub fn nullable_u64(&mut self, name: &str) -> Result<Option<Option<u64>>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(n) if n <= i64::MAX as u64 => Ok(Some(Some(n))),
                _ => Err(Error::invalid(
                    name,
                    "must be a whole number of bytes, 0 or more",
                )),
            },
            Some(_) => Err(Error::invalid(
                name,
                "must be a whole number of bytes, or null",
            )),
        }
    }

    /// A count of 1 or more that may be set to null on purpose (no limit): `None` when
    /// absent, `Some(None)` for `null`.
    pub fn nullable_count(&mut self, name: &str) -> Result<Option<Option<u64>>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(n) if n >= 1 && n <= i64::MAX as u64 => Ok(Some(Some(n))),
                _ => Err(Error::invalid(name, "must be a whole number, 1 or more")),
            },
            Some(_) => Err(Error::invalid(
                name,
                "must be a whole number, 1 or more, or null",
            )),
        }
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

#[cfg(test)]
mod tests {
    use super::depth;

    #[test]
    fn depth_counts_nesting_outside_strings_only() {
        assert_eq!(depth(b"{}"), 1);
        assert_eq!(depth(br#"{"a":[1,{"b":[]}]}"#), 4);
        assert_eq!(depth(br#"{"a":"[[[{{{\"[["}"#), 1);
        assert_eq!(depth(b"1"), 0);
    }
}
