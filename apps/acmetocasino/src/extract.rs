//! Request extractors that turn every malformed input into a `validation_error`.

use crate::error::{ApiError, FieldProblem};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw};
use paperclip::v2::schema::Apiv2Schema;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// The largest request body accepted anywhere.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body parsed strictly: wrong types, unknown enum values and malformed JSON
/// are `400 validation_error` naming the offending field.
pub struct ApiJson<T>(pub T);

/// An optional JSON body: none (or only white space) is `None`; anything else is
/// parsed as strictly as [`ApiJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            parse_json(&bytes).map(|v| OptionalJson(Some(v)))
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(ApiJson) })
    }
}

/// The raw bytes of a JSON request body (the content type checked, the size bounded).
fn json_body(req: &HttpRequest, payload: &mut Payload) -> LocalBoxFuture<'static, Result<web::Bytes, ApiError>> {
    let content_type_ok =
        req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_none_or(|ct| {
            let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        });
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !content_type_ok {
            return Err(ApiError::validation("Content-Type", "request bodies must be application/json"));
        }
        let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => {
                ApiError::validation("body", format!("must be at most {MAX_BODY_BYTES} bytes"))
            }
            _ => {
                tracing::info!(cause = %e, "request body could not be read");
                ApiError::validation("body", "could not be read")
            }
        })?;
        Ok(bytes)
    })
}

/// A free-text field (a name, a reason, a note), trimmed: `chars` characters long, and
/// no NUL or other control character (C0, DEL, C1), which no such text needs and which
/// would reach logs, exports and the database unchanged.
pub fn free_text(field: &str, raw: &str, chars: std::ops::RangeInclusive<usize>) -> Result<String, ApiError> {
    // Checked before trimming, which would quietly drop a trailing one (NEL is white space).
    if raw.chars().any(char::is_control) {
        return Err(ApiError::validation(field, "must not contain control characters"));
    }
    let text = raw.trim();
    if !chars.contains(&text.chars().count()) {
        return Err(ApiError::validation(field, format!("must be {} to {} characters", chars.start(), chars.end())));
    }
    Ok(text.to_owned())
}

/// Parses `bytes` as `T`, reporting the path of the first offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation("body", "a JSON body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        let inner = e.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("malformed JSON: {inner}")
        } else {
            // serde's message without its " at line L column C" suffix.
            let m = inner.to_string();
            m.rsplit_once(" at line ").map_or(m.clone(), |(head, _)| head.to_owned())
        };
        ApiError::fields(vec![FieldProblem { field, message }])
    })
}

impl<T: Apiv2Schema> Apiv2Schema for OptionalJson<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for OptionalJson<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        web::Json::<T>::update_parameter(op);
        // Documented, but not required.
        for p in &mut op.parameters {
            if let paperclip::v2::models::Either::Right(p) = p
                && p.in_ == paperclip::v2::models::ParameterIn::Body
            {
                p.required = false;
            }
        }
    }
    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        web::Json::<T>::update_definitions(map)
    }
}

impl<T: Apiv2Schema> Apiv2Schema for ApiJson<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for ApiJson<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        web::Json::<T>::update_parameter(op)
    }
    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        web::Json::<T>::update_definitions(map)
    }
}

/// Error handlers that make path and query extraction failures problem documents.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| ApiError::validation("path", err.to_string()).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let message = err.to_string();
        let message = message.strip_prefix("Query deserialize error: ").unwrap_or(&message).to_owned();
        ApiError::validation("query", message).into()
    })
}
