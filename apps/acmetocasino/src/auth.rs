//! Access tokens (HS256 JWTs), the check that their session and account are still in
//! good standing, and the `AuthUser` extractor that does both.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::AccountId;
use pam_core::{Account, Role};
use paperclip::actix::Apiv2Security;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The session (refresh-token family) the token was issued for.
    pub sid: Uuid,
}

/// Seconds a token stays valid past its `exp`.
const LEEWAY_S: i64 = 5;

/// Signs and checks access tokens. One key signs; a second one may be accepted too,
/// so that the key can change without signing anyone out (docs/operations.md, "JWT key
/// rotation"). Each token names its key in the header's `kid`.
pub struct JwtKeys {
    kid: String,
    encoding: EncodingKey,
    /// The signing key's id and key first, then the one only accepted.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    pub ttl: chrono::Duration,
}

impl JwtKeys {
    /// Keys that sign, and accept, with `secret` only.
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        // Exactly HS256: `alg: none` and algorithm confusion are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        // Expiry is checked against the platform's clock in `verify`, the clock that
        // issued the token, not against the system time the library would read.
        validation.validate_exp = false;
        Self {
            kid: key_id(secret),
            encoding: EncodingKey::from_secret(secret),
            decoding: vec![(key_id(secret), DecodingKey::from_secret(secret))],
            validation,
            ttl,
        }
    }

    /// Also accepts tokens signed with `secret` (the next key before any instance signs
    /// with it, or the previous one until its tokens have expired); never signs with it.
    pub fn accepting(mut self, secret: &[u8]) -> Self {
        self.decoding.push((key_id(secret), DecodingKey::from_secret(secret)));
        self
    }

    pub fn issue(&self, account: &Account, now: DateTime<Utc>, jti: Uuid, sid: Uuid) -> Result<String, ApiError> {
        let claims = Claims {
            sid,
            sub: account.id.as_uuid(),
            role: account.role,
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    /// The token's claims if it is signed by one of our keys — the one its `kid` names,
    /// or the signing key for a token without one — and not expired at `now` (with a
    /// few seconds' leeway for clock skew between instances).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
        // Which check failed stays in the log: the client learns only that it failed.
        let refused = |reason: &dyn std::fmt::Display| {
            tracing::info!(%reason, "access token refused");
            ApiError::Unauthorized(INVALID_TOKEN.into())
        };
        let header = jsonwebtoken::decode_header(token).map_err(|e| refused(&e))?;
        let key = match header.kid.as_deref() {
            None => self.decoding.first().map(|(_, key)| key),
            Some(kid) => self.decoding.iter().find(|(id, _)| id == kid).map(|(_, key)| key),
        }
        .ok_or_else(|| refused(&"signed with a key this instance does not accept"))?;
        let claims =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map(|d| d.claims).map_err(|e| refused(&e))?;
        if claims.exp.saturating_add(LEEWAY_S) < now.timestamp() {
            return Err(ApiError::Unauthorized("the access token has expired".into()));
        }
        Ok(claims)
    }
}

/// A key's id in token headers: derived from the key, so every instance configured with
/// it agrees without another setting. A hash reveals nothing a token's own HMAC does not.
fn key_id(secret: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new().chain_update(b"acmetocasino-jwt-kid:").chain_update(secret).finalize();
    hex::encode(&digest[..8])
}

/// The detail of every 401 for a token that does not verify.
const INVALID_TOKEN: &str = "the access token is invalid";

/// How long an instance trusts what it last read about a session: a sign-out,
/// reuse detection, suspension or closure refuses the session's access tokens on every
/// instance at most this long after it was written (at once on the instance that
/// signed the session out).
pub const SESSION_CHECK_TTL: chrono::Duration = chrono::Duration::seconds(5);

/// Sessions whose standing was read at most `SESSION_CHECK_TTL` ago (on the platform
/// clock), at most `capacity` of them: when full, expired entries go, then all.
pub struct SessionCache {
    capacity: usize,
    checked: Mutex<HashMap<Uuid, (bool, DateTime<Utc>)>>,
}

/// Sessions a [`SessionCache`] holds at most.
pub const SESSION_CACHE_KEYS: usize = 100_000;

impl SessionCache {
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), checked: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (bool, DateTime<Utc>)>> {
        self.checked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, sid: Uuid, now: DateTime<Utc>) -> Option<bool> {
        self.lock().get(&sid).filter(|(_, at)| now - *at < SESSION_CHECK_TTL).map(|(ok, _)| *ok)
    }

    fn put(&self, sid: Uuid, ok: bool, now: DateTime<Utc>) {
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.retain(|_, (_, at)| now - *at < SESSION_CHECK_TTL);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(sid, (ok, now));
    }

    /// Forgets a session this instance just ended, so its tokens are refused at once.
    pub fn forget(&self, sid: Uuid) {
        self.lock().remove(&sid);
    }
}

/// The claims of `token` if it is ours, unexpired, and its session and account are
/// still in good standing (as read at most [`SESSION_CHECK_TTL`] ago).
pub async fn authenticate(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    let now = kernel::Clock::now(&state.clock);
    let claims = state.jwt.verify(token, now)?;
    let ok = match state.sessions.get(claims.sid, now) {
        Some(ok) => ok,
        None => {
            let standing = state.db.session_standing(AccountId::from_uuid(claims.sub), claims.sid).await?;
            let ok = standing.is_some_and(|s| s.may_sign_in());
            state.sessions.put(claims.sid, ok, now);
            ok
        }
    };
    if ok {
        Ok(claims)
    } else {
        Err(ApiError::Unauthorized("the session has ended or the account is blocked; sign in again".into()))
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
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let claims = authenticate(&state, &token?).await?;
            Ok(AuthUser { id: AccountId::from_uuid(claims.sub), role: claims.role })
        })
    }
}

/// The caller on a route anyone may use: `Some` with a valid access token, `None`
/// without an `Authorization` header. A token that is sent must be valid (`401`
/// otherwise), so an expired one is not silently answered as for a stranger.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<AuthUser>);

impl paperclip::v2::schema::Apiv2Schema for MaybeUser {
    fn name() -> Option<String> {
        <AuthUser as paperclip::v2::schema::Apiv2Schema>::name()
    }

    fn security_scheme() -> Option<paperclip::v2::models::SecurityScheme> {
        <AuthUser as paperclip::v2::schema::Apiv2Schema>::security_scheme()
    }
}

impl paperclip::actix::OperationModifier for MaybeUser {}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(actix_web::http::header::AUTHORIZATION) {
            let user = AuthUser::from_request(req, payload);
            Box::pin(async move { Ok(MaybeUser(Some(user.await?))) })
        } else {
            Box::pin(async { Ok(MaybeUser(None)) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_expire_by_the_platform_clock_not_the_system_time() {
        let keys = JwtKeys::new(&[7; 32], chrono::Duration::minutes(15));
        let account = pam_core::contract::new_player("holder", Utc::now()).account;
        // Issued long ago by the platform's clock: valid at that time, whatever the date.
        let issued = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let token = keys.issue(&account, issued, Uuid::nil(), Uuid::nil()).unwrap();
        assert_eq!(keys.verify(&token, issued).unwrap().sub, account.id.as_uuid());
        let exp = issued + chrono::Duration::minutes(15);
        assert!(keys.verify(&token, exp + chrono::Duration::seconds(LEEWAY_S)).is_ok(), "within the leeway");
        assert!(keys.verify(&token, exp + chrono::Duration::seconds(LEEWAY_S + 1)).is_err());
        assert!(keys.verify(&token, Utc::now()).is_err(), "expired now");
        assert!(JwtKeys::new(&[8; 32], chrono::Duration::minutes(15)).verify(&token, issued).is_err(), "another key");
    }

    fn header_kid(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).unwrap().kid
    }

    #[test]
    fn a_second_key_is_accepted_but_never_signs() {
        let ttl = chrono::Duration::minutes(15);
        let (old, new) = ([1; 32], [2; 32]);
        let account = pam_core::contract::new_player("rotating", Utc::now()).account;
        let now = Utc::now();
        let by_old = JwtKeys::new(&old, ttl).issue(&account, now, Uuid::nil(), Uuid::nil()).unwrap();
        assert_eq!(header_kid(&by_old), Some(key_id(&old)));

        // Rotation: the new key signs, the old one is still accepted.
        let rotated = JwtKeys::new(&new, ttl).accepting(&old);
        assert!(rotated.verify(&by_old, now).is_ok(), "tokens signed before the rotation stay valid");
        let by_new = rotated.issue(&account, now, Uuid::nil(), Uuid::nil()).unwrap();
        assert_eq!(header_kid(&by_new), Some(key_id(&new)), "only the signing key signs");
        // Before the rotation: the old key signs, the new one is already accepted.
        assert!(JwtKeys::new(&old, ttl).accepting(&new).verify(&by_new, now).is_ok());
        // After it: the old key is gone.
        assert!(JwtKeys::new(&new, ttl).verify(&by_old, now).is_err());
    }

    #[test]
    fn the_kid_must_name_the_key_that_signed() {
        let ttl = chrono::Duration::minutes(15);
        let (a, b) = ([3; 32], [4; 32]);
        let account = pam_core::contract::new_player("forger", Utc::now()).account;
        let now = Utc::now();
        let keys = JwtKeys::new(&a, ttl).accepting(&b);
        let claims = Claims {
            sid: Uuid::nil(),
            sub: account.id.as_uuid(),
            role: account.role,
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            jti: Uuid::nil(),
        };
        let sign = |kid: Option<String>, secret: &[u8]| {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = kid;
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
        };
        assert!(keys.verify(&sign(Some(key_id(&b)), &b), now).is_ok());
        assert!(keys.verify(&sign(Some(key_id(&a)), &b), now).is_err(), "names one key, signed with the other");
        assert!(keys.verify(&sign(Some("unknown".into()), &a), now).is_err(), "an unknown kid");
        // Tokens from before key ids: checked against the signing key only.
        assert!(keys.verify(&sign(None, &a), now).is_ok());
        assert!(keys.verify(&sign(None, &b), now).is_err());
    }
}
