//! What a Hub88 signature costs, the way the adapter does it (ring) and with the `rsa`
//! crate for comparison: `cargo run --release -p provider-core --example signing_cost`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provider_core::hub88::{PrivateKey, PublicKey, generate_key_pair};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::{Keypair, SignatureEncoding, Signer, Verifier};
use std::time::{Duration, Instant};

const BODY: &[u8] = br#"{"user":"1042","transaction_uuid":"16d2dcfe-b89e-11e7-854a-58404eea6d16","supplier_transaction_id":"16d2dcfe-b89e-11e7-854a-58404eea6d16","token":"55b7518e-b89e-11e7-81be-58404eea6d16","round_closed":false,"round":"rNEMwgzJAOZ6eR3V","request_uuid":"583c985f-fee6-4c0e-bbf5-308aad6265b1","is_free":false,"game_code":"clt_dragonrising","currency":"EUR","amount":150000}"#;
const N: u32 = 300;

fn per_op(f: impl FnMut()) -> Duration {
    let mut f = f;
    let start = Instant::now();
    for _ in 0..N {
        f();
    }
    start.elapsed() / N
}

fn main() {
    let start = Instant::now();
    let pair = generate_key_pair([7; 32]).unwrap();
    println!("generate_key_pair (2048 bits): {:?}", start.elapsed());
    let private = PrivateKey::from_pem(&pair.private_pem).unwrap();
    let public = PublicKey::from_pem(&pair.public_pem).unwrap();
    let signature = private.sign(BODY);
    println!("ring sign:   {:?}/op", per_op(|| drop(private.sign(BODY))));
    println!("ring verify: {:?}/op", per_op(|| assert!(public.verify(BODY, &signature))));

    let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pair.private_pem).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let verifier = signer.verifying_key();
    let rsa_signature = signer.sign(BODY);
    assert_eq!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, rsa_signature.to_vec()), signature);
    println!("rsa sign:    {:?}/op", per_op(|| drop(signer.sign(BODY))));
    println!("rsa verify:  {:?}/op", per_op(|| verifier.verify(BODY, &rsa_signature).unwrap()));
}
