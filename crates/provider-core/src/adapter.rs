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
