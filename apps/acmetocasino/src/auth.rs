//! Access tokens (HS256 JWTs) and the `AuthUser` extractor that checks them.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::AccountId;
use pam_core::{Account, Role};
use paperclip::actix::Apiv2Security;
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
}

/// Signs and checks access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: chrono::Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        // Exactly HS256: `alg: none` and algorithm confusion are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, ttl }
    }

    pub fn issue(&self, account: &Account, now: DateTime<Utc>, jti: Uuid) -> Result<String, ApiError> {
        let claims = Claims {
            sub: account.id.as_uuid(),
            role: account.role,
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| ApiError::Unauthorized(format!("invalid access token: {e}")))
    }
}

/// The authenticated caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy, Apiv2Security)]
#[openapi(
    apiKey,
    alias = "bearerAuth",
    in = "header",
    name = "Authorization",
    description = "Access token from /auth/login: `Authorization: Bearer <token>`"
)]
pub struct AuthUser {
    pub id: AccountId,
    pub role: Role,
}

impl AuthUser {
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// Allows only the listed roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!("requires one of the roles: {}", names.join(", "))))
        }
    }

    pub fn require_staff(&self) -> Result<(), ApiError> {
        self.require(&[Role::Operator, Role::Compliance, Role::Admin])
    }

    /// A player may act only on their own resources; staff on anyone's.
    pub fn require_self_or_staff(&self, owner: AccountId) -> Result<(), ApiError> {
        if self.id == owner || self.is_staff() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("players may only access their own resources".into()))
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization header".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::Unauthorized("expected `Authorization: Bearer <token>`".into())),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let claims = state.jwt.verify(bearer(req)?)?;
            Ok(AuthUser { id: AccountId::from_uuid(claims.sub), role: claims.role })
        })();
        ready(result)
    }
}
