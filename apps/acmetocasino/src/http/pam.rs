//! Player account management and authentication routes.

use crate::auth::AuthUser;
use crate::client_ip::throttle_key;
use crate::error::{ApiError, Refusal};
use crate::extract::ApiJson;
use crate::state::AppState;
use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDate, Utc};
use kernel::{AccountId, Entropy};
use pam_core::{
    Account, AccountStatus, IssuedSession, KycState, LoginError, Player, PlayerFilter, PlayerOrder, RefreshError,
    RegisterError, Registration, Role, StaffRegistration, ThrottleScope, VipTier,
    port::{HashError, UniqueField},
};
use paperclip::actix::{Apiv2Schema, CreatedJson, NoContent, api_v2_operation, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A registration form.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RegisterRequest {
    /// 3–32 characters of `[a-z0-9_.-]` (upper case is folded to lower case).
    #[openapi(example = "lucky_lena")]
    pub username: String,
    #[openapi(example = "lena@example.com")]
    pub email: String,
    /// 8–128 characters.
    pub password: String,
    /// `YYYY-MM-DD`; the player must be 18 or older.
    #[openapi(example = "1990-04-17")]
    pub date_of_birth: String,
    /// ISO 3166-1 alpha-2 country code; selects the responsible-gaming jurisdiction.
    #[openapi(example = "SE")]
    pub country: String,
    /// ISO 4217 wallet currency (default `EUR`).
    #[openapi(example = "SEK")]
    pub currency: Option<String>,
}

/// A player's profile.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PlayerResponse {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub country: String,
    pub currency: String,
    pub date_of_birth: NaiveDate,
    /// `active`, `suspended`, `self_excluded` or `closed`.
    pub status: String,
    /// `none`, `pending`, `approved` or `rejected`.
    pub kyc_status: String,
    /// `bronze`, `silver`, `gold`, `platinum` or `diamond`, from lifetime amount wagered.
    pub vip_tier: String,
    pub created_at: DateTime<Utc>,
}

impl From<Player> for PlayerResponse {
    fn from(p: Player) -> Self {
        let vip_tier = p.vip_tier().as_str().to_owned();
        PlayerResponse {
            id: p.account.id.as_uuid(),
            username: p.account.username.as_str().to_owned(),
            email: p.account.email.as_str().to_owned(),
            country: p.profile.country.as_str().to_owned(),
            currency: p.profile.currency.as_str().to_owned(),
            date_of_birth: p.profile.date_of_birth.date(),
            status: p.account.status.as_str().to_owned(),
            kyc_status: p.profile.kyc_status.as_str().to_owned(),
            vip_tier,
            created_at: p.account.created_at,
        }
    }
}

fn register_error(e: RegisterError) -> ApiError {
    match e {
        RegisterError::Invalid(v) => v.into(),
        RegisterError::Taken(UniqueField::Username) => ApiError::Conflict("username already taken".into()),
        RegisterError::Taken(UniqueField::Email) => ApiError::Conflict("email already registered".into()),
        RegisterError::Store(s) => s.into(),
        RegisterError::Throttled { retry_after_secs } => ApiError::RateLimited {
            retry_after_secs,
            detail: format!("too many registrations from this address; retry in {retry_after_secs} s"),
        },
        RegisterError::Hash(h) => hash_error(h),
    }
}

/// A full hashing queue is the platform's own rate limit: retry in a second.
fn hash_error(e: HashError) -> ApiError {
    match e {
        HashError::Busy => ApiError::RateLimited {
            retry_after_secs: 1,
            detail: "too many sign-ins and registrations at once; retry in 1 s".into(),
        },
        HashError::Failed(_) => ApiError::Internal(e.to_string()),
    }
}

/// Register a player
///
/// Creates the player account and its wallet. Also served at `/pam/register`. A person
/// on the national self-exclusion register gets an account that is `self_excluded`.
#[api_v2_operation(tags(PAM))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<RegisterRequest>,
) -> Result<CreatedJson<PlayerResponse>, ApiError> {
    let b = body.0;
    let form = Registration {
        username: b.username,
        email: b.email,
        password: b.password,
        date_of_birth: b.date_of_birth,
        country: b.country,
        currency: b.currency,
    };
    let client = throttle_key(state.trusted_proxies.client_of(&req));
    let mut player = state.pam.register(form, &client).await.map_err(register_error)?;
    // A person on the national self-exclusion register is registered like anyone else
    // (an earlier, different answer told anyone who asked that they are listed) and
    // their account is self-excluded at once, as existing accounts are.
    if state.db.apply_register(player.account.id).await? {
        player.account.status = AccountStatus::SelfExcluded;
    }
    tracing::info!(player_id = %player.account.id, "player registered");
    state.publish(
        crate::events::Channel::PlayerEvents,
        "player.registered",
        serde_json::json!({"player_id": player.account.id, "username": player.account.username.as_str(),
                           "country": player.profile.country.as_str()}),
    );
    Ok(CreatedJson(player.into()))
}

/// Sign-in credentials: a username or an e-mail, and the password.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct LoginRequest {
    #[openapi(example = "lucky_lena")]
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

/// A token pair.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct TokenResponse {
    /// JWT (HS256) for `Authorization: Bearer …`; claims `sub`, `role`, `exp`, `iat`, `jti`.
    pub access_token: String,
    /// Opaque, single-use; exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_expires_in: i64,
    /// `player`, `operator`, `compliance` or `admin`.
    pub role: String,
    pub account_id: Uuid,
}

fn token_pair(state: &AppState, session: IssuedSession) -> Result<TokenResponse, ApiError> {
    let now = kernel::Clock::now(&state.clock);
    let access = state.jwt.issue(&session.account, now, state.entropy.new_id(), session.family_id)?;
    Ok(TokenResponse {
        access_token: access,
        refresh_token: session.refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl.num_seconds(),
        refresh_expires_in: state.pam.policy.refresh_ttl.num_seconds(),
        role: session.account.role.as_str().to_owned(),
        account_id: session.account.id.as_uuid(),
    })
}

/// Sign in
///
/// Five failed attempts for one account from one client address within 15 minutes lock
/// that client out of it (`429`, with `Retry-After`) until the window has passed; a
/// higher count from all addresses together locks the account. Unknown names are
/// counted the same way, and each address has a ceiling of sign-ins too. Also served
/// at `/pam/login`.
#[api_v2_operation(tags(Auth))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let b = body.0;
    let Some(login) = b.username.or(b.email).filter(|l| !l.trim().is_empty()) else {
        return Err(ApiError::validation("username", "username or email is required"));
    };
    if login.len() > 254 || login.chars().any(char::is_control) || b.password.chars().any(|c| c == '\0') {
        return Err(ApiError::validation("username", "must be printable text of at most 254 characters"));
    }
    let client = throttle_key(state.trusted_proxies.client_of(&req));
    let outcome = state.pam.login(&login, &b.password, &client).await;
    let label = match &outcome {
        Ok(_) => "success",
        Err(LoginError::InvalidCredentials) => "invalid_credentials",
        Err(LoginError::Throttled { .. }) => "throttled",
        Err(LoginError::AccountBlocked(_)) => "blocked",
        Err(LoginError::Hash(HashError::Busy)) => "busy",
        Err(_) => "error",
    };
    state.metrics.logins.with_label_values(&[label]).inc();
    let session = outcome.map_err(|e| match e {
        LoginError::InvalidCredentials => ApiError::Unauthorized("invalid username/email or password".into()),
        LoginError::Throttled { retry_after_secs, scope } => ApiError::RateLimited {
            retry_after_secs,
            detail: match scope {
                ThrottleScope::Account => {
                    format!("too many failed sign-ins for this account; retry in {retry_after_secs} s")
                }
                ThrottleScope::Client => format!("too many sign-ins from this address; retry in {retry_after_secs} s"),
            },
        },
        LoginError::AccountBlocked(status) => {
            ApiError::refused(Refusal::AccountBlocked, format!("the account is {status}"))
        }
        LoginError::Store(s) => s.into(),
        LoginError::Hash(h) => hash_error(h),
    })?;
    if session.account.role == Role::Player {
        state.db.apply_register(session.account.id).await?;
    }
    Ok(web::Json(token_pair(&state, session)?))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn refresh_error(e: RefreshError) -> ApiError {
    match e {
        RefreshError::Invalid => ApiError::Unauthorized("invalid, expired or revoked refresh token".into()),
        RefreshError::Reused => {
            ApiError::Unauthorized("refresh token already used: every token of this session is now revoked".into())
        }
        RefreshError::NotOwner => ApiError::Forbidden("the refresh token belongs to another account".into()),
        RefreshError::AccountBlocked(status) => {
            ApiError::refused(Refusal::AccountBlocked, format!("the account is {status}"))
        }
        RefreshError::Store(s) => s.into(),
    }
}

/// Rotate a refresh token
///
/// Returns a new pair; the presented token is spent. Presenting a spent token again
/// revokes its whole family (every token descended from the same sign-in).
#[api_v2_operation(tags(Auth))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let session = state.pam.refresh(&body.0.refresh_token).await.map_err(refresh_error)?;
    Ok(web::Json(token_pair(&state, session)?))
}

/// Sign out
///
/// Revokes the presented refresh token's family. Its access tokens are refused from
/// then on: at once on the instance that answered, within 5 seconds on the others.
#[api_v2_operation(tags(Auth))]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<RefreshRequest>,
) -> Result<NoContent, ApiError> {
    let family = state.pam.logout(user.id, &body.0.refresh_token).await.map_err(refresh_error)?;
    state.sessions.forget(family);
    Ok(NoContent)
}

async fn load_player(state: &AppState, id: AccountId) -> Result<PlayerResponse, ApiError> {
    let player = pam_core::port::AccountRepository::player(&state.db, id).await?;
    let mut response: PlayerResponse =
        player.map(Into::into).ok_or_else(|| ApiError::NotFound(format!("no player {id}")))?;
    // A self-exclusion in force shows in the profile's status for as long as it lasts.
    let rg = rg_core::RgRepository::load(&state.db, id).await?;
    let now = kernel::Clock::now(&state.clock);
    if response.status == AccountStatus::Active.as_str()
        && rg.exclusion.is_some_and(|e| e.kind == rg_core::ExclusionKind::SelfExclusion && e.is_active(now))
    {
        response.status = AccountStatus::SelfExcluded.as_str().to_owned();
    }
    Ok(response)
}

/// The caller's profile
#[api_v2_operation(tags(PAM))]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<PlayerResponse>, ApiError> {
    user.require(&[Role::Player])?;
    Ok(web::Json(load_player(&state, user.id).await?))
}

/// A player's profile
///
/// The player themself or staff. Also served at `/pam/players/{id}`.
#[api_v2_operation(tags(PAM))]
pub async fn player(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<PlayerResponse>, ApiError> {
    let id = AccountId::from_uuid(id.into_inner());
    user.require_self_or_staff(id)?;
    Ok(web::Json(load_player(&state, id).await?))
}

/// Filters and paging of the player list.
#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct PlayerListQuery {
    /// `active`, `suspended`, `self_excluded` or `closed`.
    pub status: Option<String>,
    /// `none`, `pending`, `approved` or `rejected`.
    pub kyc_status: Option<String>,
    /// `bronze`, `silver`, `gold`, `platinum` or `diamond`.
    pub vip_tier: Option<String>,
    /// Case-insensitive substring of the username or e-mail.
    pub q: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// `-created_at` (newest first, the default), `created_at`, `username` or `-username`.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Players to skip (default 0).
    pub offset: Option<i64>,
}

/// A page of players in the requested order.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PlayerListResponse {
    pub items: Vec<PlayerResponse>,
    /// Players matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// List players (staff)
#[api_v2_operation(tags(PAM))]
pub async fn list_players(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PlayerListQuery>,
) -> Result<web::Json<PlayerListResponse>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let filter = PlayerFilter {
        status: super::one_of("status", q.status, AccountStatus::ALL, AccountStatus::as_str)?,
        kyc_status: super::one_of("kyc_status", q.kyc_status, KycState::ALL, KycState::as_str)?,
        vip_tier: super::one_of("vip_tier", q.vip_tier, VipTier::ALL, VipTier::as_str)?,
        q: match q.q {
            Some(text) if text.len() > 100 || text.chars().any(char::is_control) => {
                return Err(ApiError::validation("q", "must be printable text of at most 100 characters"));
            }
            other => other,
        },
        country: q
            .country
            .map(|c| pam_core::Country::parse(&c).map_err(|e| ApiError::validation("country", e.0)))
            .transpose()?,
        order: super::one_of("sort", q.sort, PlayerOrder::ALL, PlayerOrder::as_str)?.unwrap_or_default(),
        limit: super::bounded("limit", q.limit, 50, 1, 200)?,
        offset: super::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    let page = pam_core::port::AccountRepository::players(&state.db, &filter).await?;
    Ok(web::Json(PlayerListResponse {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
        limit: filter.limit,
        offset: filter.offset,
    }))
}

/// Staff roles that can be created.
#[derive(Debug, Clone, Copy, Deserialize, Apiv2Schema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Operator,
    Compliance,
    Admin,
}

impl From<StaffRole> for Role {
    fn from(r: StaffRole) -> Self {
        match r {
            StaffRole::Operator => Role::Operator,
            StaffRole::Compliance => Role::Compliance,
            StaffRole::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct StaffRequest {
    pub username: String,
    pub email: String,
    /// 8–128 characters.
    pub password: String,
    pub role: StaffRole,
}

/// A staff account.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StaffResponse {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    /// `operator`, `compliance` or `admin`.
    pub role: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for StaffResponse {
    fn from(a: Account) -> Self {
        StaffResponse {
            id: a.id.as_uuid(),
            username: a.username.as_str().to_owned(),
            email: a.email.as_str().to_owned(),
            role: a.role.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            created_at: a.created_at,
        }
    }
}

/// Create a staff account (admin)
#[api_v2_operation(tags(Staff))]
pub async fn create_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<StaffRequest>,
) -> Result<CreatedJson<StaffResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let b = body.0;
    let account = state
        .pam
        .create_staff(StaffRegistration {
            username: b.username,
            email: b.email,
            password: b.password,
            role: b.role.into(),
        })
        .await
        .map_err(register_error)?;
    tracing::info!(actor = %user.id, staff_id = %account.id, role = %account.role, "staff account created");
    state
        .db
        .audit(
            user.id,
            "staff.created",
            &format!("account:{}", account.id),
            None,
            Some(serde_json::json!({"username": account.username.as_str(), "role": account.role.as_str()})),
            kernel::Clock::now(&state.clock),
        )
        .await?;
    Ok(CreatedJson(account.into()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct StaffListQuery {
    /// `operator`, `compliance` or `admin`; absent for every staff role.
    pub role: Option<StaffRole>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Accounts to skip (default 0).
    pub offset: Option<i64>,
}

/// A page of staff accounts, newest first.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StaffListResponse {
    pub items: Vec<StaffResponse>,
    /// Accounts matching the filter, over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// List staff accounts (admin)
#[api_v2_operation(tags(Staff))]
pub async fn list_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<StaffListQuery>,
) -> Result<web::Json<StaffListResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let q = query.into_inner();
    let limit = super::bounded("limit", q.limit, 50, 1, 200)?;
    let offset = super::bounded("offset", q.offset, 0, 0, i64::MAX)?;
    let (items, total) = state.db.staff_accounts(q.role.map(Role::from), limit, offset).await?;
    Ok(web::Json(StaffListResponse { items: items.into_iter().map(Into::into).collect(), total, limit, offset }))
}
