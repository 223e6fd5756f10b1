//! Game aggregation layer routes: the player's seed pair and its rotation.

use crate::app::play;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use gal_core::{ClientSeed, SeedPairView};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use serde::{Deserialize, Serialize};

/// A player's seed pair as they may see it.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct FairnessResponse {
    pub server_seed_hash: String,
    /// The hash of the server seed the next pair will use (after a rotation or a new
    /// client seed), published before the player chooses that pair's client seed.
    pub next_server_seed_hash: String,
    pub client_seed: String,
    /// The nonce of the next round.
    pub nonce: u64,
}

impl From<SeedPairView> for FairnessResponse {
    fn from(p: SeedPairView) -> Self {
        FairnessResponse {
            server_seed_hash: p.server_seed_hash,
            next_server_seed_hash: p.next_server_seed_hash.unwrap_or_default(),
            client_seed: p.client_seed,
            nonce: p.nonce,
        }
    }
}

/// The revealed pair and the new one.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RotationResponse {
    /// The previous server seed, now revealed: every round played with it can be recomputed.
    pub revealed_server_seed: String,
    pub revealed_server_seed_hash: String,
    pub revealed_client_seed: String,
    /// Rounds played with the revealed pair (its nonces 0..rounds).
    pub rounds: u64,
    pub current: FairnessResponse,
}

/// The caller's current seed pair
#[api_v2_operation(tags(Fairness))]
pub async fn fairness(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<FairnessResponse>, ApiError> {
    user.require(&[Role::Player])?;
    Ok(web::Json(play::seed_pair(&state, user.id).await?.into()))
}

async fn rotate(
    state: &AppState,
    user: &AuthUser,
    client_seed: Option<ClientSeed>,
) -> Result<RotationResponse, ApiError> {
    user.require(&[Role::Player])?;
    let (old, new) = play::rotate_seed_pair(state, user.id, client_seed).await?;
    Ok(RotationResponse {
        revealed_server_seed: old.revealed_server_seed.unwrap_or_default(),
        revealed_server_seed_hash: old.server_seed_hash,
        revealed_client_seed: old.client_seed,
        rounds: old.nonce,
        current: new.into(),
    })
}

/// Reveal the current server seed and start a new pair
#[api_v2_operation(tags(Fairness))]
pub async fn rotate_seed(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<RotationResponse>, ApiError> {
    Ok(web::Json(rotate(&state, &user, None).await?))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ClientSeedRequest {
    /// 1–64 printable ASCII characters, without `:`.
    pub client_seed: String,
}

/// Set a new client seed (rotates the pair, revealing the old server seed)
#[api_v2_operation(tags(Fairness))]
pub async fn set_client_seed(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ClientSeedRequest>,
) -> Result<web::Json<RotationResponse>, ApiError> {
    let seed =
        ClientSeed::parse(&body.0.client_seed).map_err(|e| ApiError::validation("client_seed", e.to_string()))?;
    Ok(web::Json(rotate(&state, &user, Some(seed)).await?))
}
