//! TLSA record generation from PEM certificates and public keys.

mod support;

use support::{World, now};
use tls::{GenerateError, Matching, Selector, Usage, tlsa_from_pem, verify_chain};

#[test]
fn generated_default_record_verifies_the_chain() {
    let world = World::new();
    let record = tlsa_from_pem(
        world.leaf.pem.as_bytes(),
        Usage::DaneEe,
        Selector::Spki,
        Matching::Sha256,
    )
    .unwrap();
    assert!(record.to_string().starts_with("3 1 1 "));
    assert_eq!(record.data.len(), 32);
    let matched = verify_chain(&world.chain(), std::slice::from_ref(&record), &[], now()).unwrap();
    assert_eq!(matched.record, record);
}

#[test]
fn generated_records_have_the_lengths_of_their_matching_type() {
    let world = World::new();
    let pem = world.leaf.pem.as_bytes();
    let full = tlsa_from_pem(pem, Usage::DaneEe, Selector::Cert, Matching::Full).unwrap();
    assert_eq!(full.data, world.leaf.cert.as_ref());
    let sha512 = tlsa_from_pem(pem, Usage::DaneTa, Selector::Spki, Matching::Sha512).unwrap();
    assert_eq!(sha512.data.len(), 64);
    assert!(sha512.to_string().starts_with("2 1 2 "));
}

#[test]
fn public_key_pem_gives_the_same_spki_record_as_its_certificate() {
    let world = World::new();
    let from_key = tlsa_from_pem(
        world.leaf.key.public_key_pem().as_bytes(),
        Usage::DaneEe,
        Selector::Spki,
        Matching::Sha256,
    )
    .unwrap();
    let from_cert = tlsa_from_pem(
        world.leaf.pem.as_bytes(),
        Usage::DaneEe,
        Selector::Spki,
        Matching::Sha256,
    )
    .unwrap();
    assert_eq!(from_key, from_cert);
}

#[test]
fn public_key_pem_only_supports_spki_selector() {
    let world = World::new();
    let error = tlsa_from_pem(
        world.leaf.key.public_key_pem().as_bytes(),
        Usage::DaneEe,
        Selector::Cert,
        Matching::Sha256,
    );
    assert_eq!(error, Err(GenerateError::KeyNeedsSpkiSelector(0)));
}

#[test]
fn pem_chain_is_read_leaf_first() {
    let world = World::new();
    let pem = format!("{}{}", world.leaf.pem, world.intermediate.pem);
    let chain = tls::certificates_from_pem(pem.as_bytes()).unwrap();
    assert_eq!(chain, world.chain());
}

#[test]
fn generated_usage2_record_for_issuer_pem_verifies_with_names() {
    let world = World::new();
    let record = tlsa_from_pem(
        world.intermediate.pem.as_bytes(),
        Usage::DaneTa,
        Selector::Spki,
        Matching::Sha256,
    )
    .unwrap();
    let matched = verify_chain(&world.chain(), &[record], &["mx.example.com"], now()).unwrap();
    assert_eq!(matched.depth, 1);
}
