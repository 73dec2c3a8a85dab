//! Every secret the server hands out in a test run, so that no server's log may hold one:
//! session tokens, share tokens, link signatures, and the tests' password. Replies are
//! scanned as they arrive (`Go::go`) and each server's log is checked when it is dropped,
//! so the whole test suite is the test, not one scenario.

use std::sync::Mutex;

use serde_json::Value;

use super::PASSWORD;

static HANDED_OUT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Notes the secrets in a JSON reply: `token`, the token of a `share_url`, the `sig` of a
/// signed `url`, wherever they are in the document.
pub fn note_reply(body: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let mut found = Vec::new();
    collect(&value, &mut found);
    if !found.is_empty() {
        HANDED_OUT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(found);
    }
}

fn collect(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if let Value::String(s) = value {
                    match key.as_str() {
                        "token" => found.push(s.clone()),
                        "share_url" => found.extend(s.rsplit_once("/s/").map(|(_, t)| t.into())),
                        "url" => found.extend(
                            s.split_once("sig=")
                                .map(|(_, sig)| sig.split('&').next().unwrap_or("").into()),
                        ),
                        _ => {}
                    }
                }
                collect(value, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        _ => {}
    }
}

/// The secrets found in `log`, if any.
pub fn leaked_into(log: &str) -> Vec<String> {
    let handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    std::iter::once(PASSWORD)
        .chain(handed_out.iter().map(String::as_str))
        // Short strings could turn up by chance; none of ours is short.
        .filter(|s| s.len() >= 8 && log.contains(*s))
        .map(str::to_string)
        .collect()
}
