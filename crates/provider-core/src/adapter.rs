//! What every protocol adapter does, and nothing more: check a call's signature over its
//! raw bytes, translate it into a canonical [`Request`], and render the wallet's
//! [`Reply`] in the protocol's own shape. No database, no money rules.

use crate::{Failure, Reply, Request};

kernel::string_enum! {
    /// The seamless-wallet protocols the platform speaks.
    Protocol {
        Hub88 = "hub88",
        Pragmatic = "pragmatic",
    }
}

/// A rendered answer: these protocols always answer HTTP 200 and carry the status in
/// the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra headers (Hub88: the operator's signature over `body`).
    pub headers: Vec<(&'static str, String)>,
}

/// One provider's protocol, configured with its keys and [`crate::ProviderConfig`].
pub trait ProviderAdapter: Send + Sync {
    fn protocol(&self) -> Protocol;

    /// The request header that carries the signature, for protocols that sign in one.
    fn signature_header(&self) -> Option<&'static str>;

    /// Checks the call's signature over the raw body (`signature`: the header's value).
    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<(), Failure>;

    /// Translates the call made to `endpoint` (the path after the provider's base, e.g.
    /// `transaction/bet` or `bet.html`).
    fn parse(&self, endpoint: &str, body: &[u8]) -> Result<Request, Failure>;

    /// Renders the reply to a call to `endpoint`; `request` is `None` when the call could
    /// not be verified or parsed (`body` is the raw call, for the ids a protocol echoes).
    fn render(&self, endpoint: &str, body: &[u8], request: Option<&Request>, reply: &Reply) -> Response;
}

/// A call to a wallet, built by a provider's side of a protocol (the simulated provider;
/// tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The path after the provider's base (`transaction/bet`, `bet.html`).
    pub endpoint: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra headers (Hub88: the provider's signature over `body`).
    pub headers: Vec<(&'static str, String)>,
}

/// A wallet's answer as the provider's side reads it, in canonical terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The protocol's own status (`RS_OK`, `0`, …).
    pub status: String,
    /// `None` when the call succeeded; otherwise the canonical failure the status stands
    /// for (statuses shared by several failures read back as the first of them).
    pub failure: Option<Failure>,
    /// Cash and bonus, minor units, when the answer reports them.
    pub balance: Option<i64>,
    pub currency: Option<String>,
    pub player: Option<String>,
    pub country: Option<String>,
    /// The wallet's transaction id, for protocols that echo one.
    pub transaction: Option<String>,
    /// The per-call id echoed back.
    pub request_id: Option<String>,
}

/// A provider's side of a protocol: encodes canonical commands as signed calls and reads
/// the wallet's answers (checking their signatures where the protocol signs them). It
/// shares the adapter's codec, so both ends agree by construction.
pub trait ProviderClient: Send + Sync {
    fn protocol(&self) -> Protocol;

    /// The call for `request`; `timestamp_ms` is the send time for protocols that carry
    /// one. Commands the protocol cannot express are `WrongSyntax`.
    fn encode(&self, request: &Request, timestamp_ms: i64) -> Result<Call, Failure>;

    /// Reads the answer to a call to `endpoint` (`signature`: the response's signature
    /// header, for protocols that sign responses). A bad signature is `InvalidSignature`,
    /// an unreadable body `WrongSyntax`.
    fn decode(&self, endpoint: &str, signature: Option<&str>, body: &[u8]) -> Result<Answer, Failure>;
}
