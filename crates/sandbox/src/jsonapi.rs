//! The service's answer shapes: JSON:API bodies, both error shapes, and the checks of request
//! bodies every handler shares, each refusal worded as the service words it.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::db::Refusal;

pub(crate) const CONTENT_TYPE: &str = "application/vnd.api+json";

pub(crate) fn jsonapi(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// The two error shapes of the real service: objects with `detail` for 400/404/5xx,
/// bare strings for 401/403/429.
pub(crate) fn error_body(status: StatusCode, detail: &str) -> Value {
    match status.as_u16() {
        401 | 403 | 429 => json!({"errors": [detail]}),
        code => {
            json!({"errors": [{"status": code.to_string(), "title": status.canonical_reason().unwrap_or(""), "detail": detail}]})
        }
    }
}

pub(crate) fn error(status: StatusCode, detail: &str) -> Response {
    jsonapi(status, error_body(status, detail))
}

pub(crate) type Reply = Result<Response, Refusal>;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &self.detail)
    }
}

pub(crate) fn bad(detail: impl Into<String>) -> Refusal {
    Refusal::new(400, detail)
}

pub(crate) fn parse_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice::<Value>(body).map_err(|_| bad("Malformed payload"))
}

pub(crate) fn attributes(body: &Value) -> Result<&serde_json::Map<String, Value>, Refusal> {
    body.get("data")
        .and_then(|d| d.get("attributes"))
        .and_then(Value::as_object)
        .ok_or_else(|| bad("Malformed payload"))
}

/// A create names the kind of resource it creates; another kind is refused.
pub(crate) fn check_type(body: &Value, expected: &str) -> Result<(), Refusal> {
    match body.get("data").and_then(|d| d.get("type")).and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        _ => Err(bad(format!("attribute \"type\" of data must be \"{expected}\""))),
    }
}

pub(crate) fn required_str<'a>(attrs: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match attrs.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(bad(format!("attribute \"{name}\" is required"))),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a string"))),
    }
}

pub(crate) fn optional_bool(attrs: &serde_json::Map<String, Value>, name: &str) -> Result<Option<bool>, Refusal> {
    match attrs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a boolean"))),
    }
}

/// Ids are UUIDs; `attribute` names the path part in the error, as the service does.
pub(crate) fn check_id(id: &str, attribute: &str) -> Result<(), Refusal> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| bad(format!("attribute \"{attribute}\" Invalid id")))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An answer of the v1 API: plain JSON, errors as a list of strings.
pub(crate) fn v1(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
