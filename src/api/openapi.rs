//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the API, `docs/openapi.json`,
//! built into the binary so the server always serves the document of its own version.

use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};

use crate::http::{Response, full};

/// The document, as committed.
const DOCUMENT: &[u8] = include_bytes!("../../docs/openapi.json");

pub fn document() -> Response {
    let mut response = hyper::Response::new(full(DOCUMENT));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // It changes only with the binary; an hour saves clients the refetch.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::DOCUMENT;
    use crate::router::{Access, ROUTES};

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    /// (METHOD, path, x-access) of every operation the document describes.
    fn documented() -> BTreeSet<(String, String, String)> {
        let doc: Value = serde_json::from_slice(DOCUMENT).expect("docs/openapi.json is JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
        let paths = doc["paths"].as_object().expect("paths");
        let mut found = BTreeSet::new();
        for (path, item) in paths {
            for (key, operation) in item.as_object().expect("path item") {
                if !METHODS.contains(&key.as_str()) {
                    continue;
                }
                let access = operation["x-access"].as_str().unwrap_or_else(|| {
                    panic!("{key} {path} has no x-access");
                });
                found.insert((key.to_uppercase(), path.clone(), access.to_string()));
            }
        }
        found
    }

    #[test]
    fn the_document_describes_exactly_the_route_table() {
        let table: BTreeSet<(String, String, String)> = ROUTES
            .iter()
            .flat_map(|route| {
                route.operations.iter().map(|op| {
                    let access = op.access.name().to_string();
                    (op.method.to_string(), route.path.to_string(), access)
                })
            })
            .collect();
        let doc = documented();
        let undocumented: Vec<_> = table.difference(&doc).collect();
        let stale: Vec<_> = doc.difference(&table).collect();
        assert!(
            undocumented.is_empty() && stale.is_empty(),
            "routes missing from docs/openapi.json: {undocumented:?}; \
             operations in it that the router does not have: {stale:?}"
        );
    }

    #[test]
    fn every_access_rule_is_explained_in_the_document() {
        let doc: Value = serde_json::from_slice(DOCUMENT).expect("JSON");
        let explained = doc["info"]["x-access-rules"].as_object().expect("rules");
        for access in Access::ALL {
            assert!(explained.contains_key(access.name()), "{access:?}");
        }
        assert_eq!(explained.len(), Access::ALL.len());
    }
}
