//! A webhook request → the run's payload, by the trigger's `body:` mode.
//!
//! * `json` (the default): the body must be JSON (`application/json` or `+json`).
//! * `any`, what Zapier's Catch Hook accepts: a JSON body, a form
//!   (`application/x-www-form-urlencoded`) or no body at all; the query string's fields are
//!   added to an object payload, and a body field of the same name wins. A repeated form or
//!   query field keeps its last value.
//! * `raw`, as Zapier's Catch Raw Hook: nothing is parsed. The payload is `raw_body` (the body
//!   as text, invalid UTF-8 replaced), `headers` (names in lower case) and `querystring`.
//!   Headers that carry credentials (`authorization`, cookies, and any name with `token`,
//!   `secret`, `key`, `signature`, `password` or `auth` in it) are left out: the payload is
//!   stored in the event log, where a secret must never land.

use crate::codes;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use claw_language::model::HookBody;
use serde_json::{Map, Value, json};

/// Why a request was refused: the status, a stable code and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// HTTP status to answer with.
    pub status: StatusCode,
    /// Stable diagnostic code (docs/diagnostics.md).
    pub code: &'static str,
    /// What was wrong and what was expected.
    pub message: String,
}

/// The media type of the request, lower case, without parameters.
fn mime(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
}

fn is_json_mime(m: &str) -> bool {
    m == "application/json" || m.ends_with("+json")
}

fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::HOOK_BAD_JSON.id,
        message: format!(
            "the body is not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })
}

fn form(text: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// Whether a header may carry a credential, and so must stay out of the payload.
fn is_credential_header(name: &str) -> bool {
    matches!(name, "authorization" | "proxy-authorization" | "cookie")
        || ["token", "secret", "key", "signature", "password", "auth"]
            .iter()
            .any(|w| name.contains(w))
}

/// The payload of a request to a webhook read in `mode`.
pub fn payload(
    mode: HookBody,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Value, Refusal> {
    let media = mime(headers);
    match mode {
        HookBody::Json => {
            if !media.as_deref().is_some_and(is_json_mime) {
                return Err(Refusal {
                    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    code: codes::HOOK_CONTENT_TYPE.id,
                    message: "send the payload as application/json".into(),
                });
            }
            json_body(body)
        }
        HookBody::Any => {
            let mut fields = form(query.unwrap_or("").as_bytes());
            let from_body = if body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else if media.as_deref() == Some("application/x-www-form-urlencoded") {
                Value::Object(form(body))
            } else if media.as_deref().is_some_and(is_json_mime) || media.is_none() {
                json_body(body)?
            } else {
                return Err(Refusal {
                    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    code: codes::HOOK_CONTENT_TYPE.id,
                    message: "send JSON, a form (application/x-www-form-urlencoded) or no body"
                        .into(),
                });
            };
            match from_body {
                Value::Object(m) => {
                    fields.extend(m);
                    Ok(Value::Object(fields))
                }
                // A JSON list or scalar is the payload as sent; there is nothing to add it to.
                other => Ok(other),
            }
        }
        HookBody::Raw => {
            let hs: Map<String, Value> = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v))
                .filter(|(k, _)| !is_credential_header(k))
                .map(|(k, v)| {
                    (
                        k,
                        Value::String(String::from_utf8_lossy(v.as_bytes()).into()),
                    )
                })
                .collect();
            Ok(json!({
                "raw_body": String::from_utf8_lossy(body),
                "headers": hs,
                "querystring": query.unwrap_or(""),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(ct: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = ct {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(ct).expect("valid"),
            );
        }
        h
    }

    #[test]
    fn json_mode_refuses_a_form() {
        let r = payload(
            HookBody::Json,
            &headers(Some("application/x-www-form-urlencoded")),
            None,
            &Bytes::from_static(b"a=1"),
        );
        assert_eq!(
            r.map_err(|e| e.status),
            Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
    }

    #[test]
    fn any_mode_reads_forms_json_and_the_query_string() {
        let form = payload(
            HookBody::Any,
            &headers(Some("application/x-www-form-urlencoded; charset=utf-8")),
            Some("source=web&name=query"),
            &Bytes::from_static(b"name=Ada+L&email=ada%40example.com"),
        );
        assert_eq!(
            form,
            Ok(json!({"source": "web", "name": "Ada L", "email": "ada@example.com"}))
        );
        let js = payload(
            HookBody::Any,
            &headers(Some("application/json")),
            Some("x=1"),
            &Bytes::from_static(br#"{"n": 2}"#),
        );
        assert_eq!(js, Ok(json!({"x": "1", "n": 2})));
        let none = payload(HookBody::Any, &headers(None), Some("id=7"), &Bytes::new());
        assert_eq!(none, Ok(json!({"id": "7"})));
        let xml = payload(
            HookBody::Any,
            &headers(Some("text/xml")),
            None,
            &Bytes::from_static(b"<a/>"),
        );
        assert_eq!(xml.map_err(|e| e.code), Err(codes::HOOK_CONTENT_TYPE.id));
    }

    #[test]
    fn raw_mode_keeps_the_body_and_drops_credential_headers() {
        let mut h = headers(Some("text/plain"));
        h.insert("authorization", HeaderValue::from_static("Bearer s3cr3t"));
        h.insert("x-api-key", HeaderValue::from_static("k"));
        h.insert("x-request-id", HeaderValue::from_static("r1"));
        let p = payload(
            HookBody::Raw,
            &h,
            Some("a=1"),
            &Bytes::from_static(b"hello\xff"),
        )
        .expect("raw never refuses");
        assert_eq!(p["raw_body"], "hello\u{fffd}");
        assert_eq!(p["querystring"], "a=1");
        assert_eq!(p["headers"]["x-request-id"], "r1");
        assert_eq!(p["headers"]["content-type"], "text/plain");
        assert!(p["headers"].get("authorization").is_none());
        assert!(p["headers"].get("x-api-key").is_none());
    }

    proptest::proptest! {
        /// No request makes the reader panic, whatever its bytes and headers.
        #[test]
        fn any_request_is_read_or_refused(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            query in "[a-z=&%+0-9]{0,40}",
            form_ct in proptest::prelude::any::<bool>(),
        ) {
            let ct = if form_ct { "application/x-www-form-urlencoded" } else { "application/json" };
            for mode in [HookBody::Json, HookBody::Any, HookBody::Raw] {
                let _ = payload(mode, &headers(Some(ct)), Some(&query), &Bytes::from(body.clone()));
            }
        }
    }
}
