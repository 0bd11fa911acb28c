//! DANE verification of certificate chains against TLSA records
//! (`verify_chain`), without a network.

mod support;

use support::{Ca, World, next_year, now, record, ymd};
use tls::{DaneError, ResultType, Tlsa, usable, verify_chain};

const MX: &str = "mx.example.com";

#[test]
fn dane_usage3_matches_leaf_spki_sha256() {
    let world = World::new();
    let records = [record(3, 1, 1, &world.leaf.cert)];
    let matched = verify_chain(&world.chain(), &records, &[MX], now()).unwrap();
    assert_eq!(matched.record, records[0]);
    assert_eq!(matched.depth, 0);
    assert_eq!(matched.name, None, "usage 3 does not check names");
}

#[test]
fn dane_usage3_full_certificate_record_matches() {
    let world = World::new();
    let records = [record(3, 0, 0, &world.leaf.cert)];
    assert!(verify_chain(&world.chain(), &records, &[], now()).is_ok());
}

#[test]
fn dane_usage3_ignores_expiry() {
    let world = World::new();
    let records = [record(3, 1, 1, &world.leaf.cert)];
    let matched = verify_chain(&world.chain(), &records, &[MX], next_year());
    assert_eq!(matched.unwrap().depth, 0);
}

#[test]
fn dane_usage3_ignores_names() {
    let world = World::new();
    let records = [record(3, 1, 2, &world.leaf.cert)];
    assert!(verify_chain(&world.chain(), &records, &["mx.other.example"], now()).is_ok());
}

#[test]
fn dane_usage3_other_key_is_no_match() {
    let world = World::new();
    let other = world.intermediate.leaf(&[MX]);
    let records = [record(3, 1, 1, &other.cert)];
    let error = verify_chain(&world.chain(), &records, &[MX], now()).unwrap_err();
    assert_eq!(error, DaneError::NoMatch);
    assert_eq!(error.result_type(), ResultType::TlsaInvalid);
}

#[test]
fn dane_usage3_does_not_match_issuer() {
    let world = World::new();
    let records = [record(3, 1, 1, &world.intermediate.cert)];
    let error = verify_chain(&world.chain(), &records, &[], now()).unwrap_err();
    assert_eq!(error, DaneError::NoMatch);
}

#[test]
fn dane_usage2_intermediate_certificate_is_trust_anchor() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let matched = verify_chain(&world.chain(), &records, &[MX], now()).unwrap();
    assert_eq!(matched.depth, 1);
    assert_eq!(matched.name.as_deref(), Some(MX));
}

#[test]
fn dane_usage2_root_key_is_trust_anchor() {
    let world = World::new();
    let records = [record(2, 1, 1, &world.root.cert)];
    let matched = verify_chain(&world.full_chain(), &records, &[MX], now()).unwrap();
    assert_eq!(matched.depth, 2);
}

#[test]
fn dane_usage2_anchor_must_be_presented() {
    let world = World::new();
    let records = [record(2, 1, 1, &world.root.cert)];
    let error = verify_chain(&world.chain(), &records, &[MX], now()).unwrap_err();
    assert_eq!(error, DaneError::NoMatch);
}

#[test]
fn dane_usage2_key_in_record_anchors_unpresented_issuer() {
    let world = World::new();
    let key = tls::spki(&world.intermediate.cert).unwrap();
    let records = [Tlsa::new(
        tls::Usage::DaneTa,
        tls::Selector::Spki,
        tls::Matching::Full,
        key,
    )];
    let leaf_only = [world.leaf.cert.clone()];
    let matched = verify_chain(&leaf_only, &records, &[MX], now()).unwrap();
    assert_eq!(matched.depth, 1, "one past the presented chain");

    let unrelated = tls::spki(&Ca::root("Elsewhere").cert).unwrap();
    let records = [Tlsa::new(
        tls::Usage::DaneTa,
        tls::Selector::Spki,
        tls::Matching::Full,
        unrelated,
    )];
    let error = verify_chain(&leaf_only, &records, &[MX], now()).unwrap_err();
    assert_eq!(error, DaneError::NoMatch);
}

#[test]
fn dane_usage2_expired_fails_certificate_expired() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let error = verify_chain(&world.chain(), &records, &[MX], next_year()).unwrap_err();
    assert_eq!(
        error,
        DaneError::Expired {
            record: records[0].clone(),
            depth: 0
        }
    );
    assert_eq!(error.result_type().as_str(), "certificate-expired");
}

#[test]
fn dane_usage2_expired_intermediate_reports_its_depth() {
    let root = Ca::root("Test Root");
    let intermediate = root.intermediate_valid("Old Intermediate", (2020, 1, 1), (2026, 3, 1));
    let leaf = intermediate.leaf(&[MX]);
    let chain = [leaf.cert, intermediate.cert, root.cert.clone()];
    let records = [record(2, 0, 1, &root.cert)];
    let error = verify_chain(&chain, &records, &[MX], now()).unwrap_err();
    assert!(
        matches!(error, DaneError::Expired { depth: 1, .. }),
        "{error:?}"
    );
}

#[test]
fn dane_usage2_not_yet_valid_is_its_own_error() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let error = verify_chain(&world.chain(), &records, &[MX], ymd(2025, 6, 1)).unwrap_err();
    assert!(matches!(error, DaneError::NotYetValid { depth: 0, .. }));
    assert_eq!(error.result_type(), ResultType::ValidationFailure);
}

#[test]
fn dane_usage2_wrong_name_fails() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let error = verify_chain(&world.chain(), &records, &["mx.other.example"], now()).unwrap_err();
    assert!(matches!(error, DaneError::NameMismatch { .. }), "{error:?}");
    assert_eq!(error.result_type().as_str(), "certificate-host-mismatch");
}

#[test]
fn dane_usage2_any_reference_name_may_match() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let names = ["example.com", "mx.example.com."];
    let matched = verify_chain(&world.chain(), &records, &names, now()).unwrap();
    assert_eq!(matched.name.as_deref(), Some(MX));
}

#[test]
fn dane_usage2_without_names_skips_name_check() {
    let world = World::new();
    let records = [record(2, 0, 1, &world.intermediate.cert)];
    let matched = verify_chain(&world.chain(), &records, &[], now()).unwrap();
    assert_eq!(matched.name, None);
}

#[test]
fn dane_usage2_wildcard_covers_exactly_one_label() {
    let root = Ca::root("Test Root");
    let leaf = root.leaf(&["*.example.com"]);
    let chain = [leaf.cert, root.cert.clone()];
    let records = [record(2, 0, 1, &root.cert)];
    assert!(verify_chain(&chain, &records, &["mx.example.com"], now()).is_ok());
    let error = verify_chain(&chain, &records, &["a.mx.example.com"], now()).unwrap_err();
    assert!(matches!(error, DaneError::NameMismatch { .. }));
    let error = verify_chain(&chain, &records, &["example.com"], now()).unwrap_err();
    assert!(matches!(error, DaneError::NameMismatch { .. }));
}

#[test]
fn dane_usage2_record_matching_leaf_makes_leaf_its_own_anchor() {
    let world = World::new();
    let records = [record(2, 1, 1, &world.leaf.cert)];
    let leaf_only = [world.leaf.cert.clone()];
    let matched = verify_chain(&leaf_only, &records, &[MX], now()).unwrap();
    assert_eq!(matched.depth, 0);

    let error = verify_chain(&leaf_only, &records, &[MX], next_year()).unwrap_err();
    assert!(matches!(error, DaneError::Expired { depth: 0, .. }));
    let error = verify_chain(&leaf_only, &records, &["other.example"], now()).unwrap_err();
    assert!(matches!(error, DaneError::NameMismatch { .. }));
}

#[test]
fn dane_usage2_anchor_that_did_not_issue_the_chain_fails() {
    let world = World::new();
    let stranger = Ca::root("Stranger");
    let chain = [world.leaf.cert.clone(), stranger.cert.clone()];
    let records = [record(2, 0, 1, &stranger.cert)];
    let error = verify_chain(&chain, &records, &[MX], now()).unwrap_err();
    assert!(matches!(error, DaneError::BadChain { .. }), "{error:?}");
    assert_eq!(error.result_type(), ResultType::TlsaInvalid);
}

#[test]
fn dane_later_record_can_match_after_an_earlier_failure() {
    let world = World::new();
    let stranger = Ca::root("Stranger");
    let chain = [world.leaf.cert.clone(), stranger.cert.clone()];
    let records = [
        record(2, 0, 1, &stranger.cert),
        record(3, 1, 1, &world.leaf.cert),
    ];
    let matched = verify_chain(&chain, &records, &[MX], now()).unwrap();
    assert_eq!(matched.record, records[1]);
}

#[test]
fn sha512_record_makes_sha256_unused() {
    let world = World::new();
    let other = world.intermediate.leaf(&[MX]);
    let sha256_of_leaf = record(3, 1, 1, &world.leaf.cert);
    let sha512_of_other = record(3, 1, 2, &other.cert);

    assert!(
        verify_chain(
            &world.chain(),
            std::slice::from_ref(&sha256_of_leaf),
            &[],
            now()
        )
        .is_ok()
    );
    let records = [sha256_of_leaf, sha512_of_other];
    let error = verify_chain(&world.chain(), &records, &[], now()).unwrap_err();
    assert_eq!(error, DaneError::NoMatch);
}

#[test]
fn sha512_record_does_not_hide_another_selector() {
    let world = World::new();
    let other = world.intermediate.leaf(&[MX]);
    let records = [
        record(3, 0, 1, &world.leaf.cert),
        record(3, 1, 2, &other.cert),
    ];
    let matched = verify_chain(&world.chain(), &records, &[], now()).unwrap();
    assert_eq!(matched.record, records[0]);
}

#[test]
fn usage0_and_1_are_unusable() {
    let world = World::new();
    let records = [
        record(0, 1, 1, &world.intermediate.cert),
        record(1, 1, 1, &world.leaf.cert),
    ];
    assert!(!usable(&records));
    let error = verify_chain(&world.chain(), &records, &[MX], now()).unwrap_err();
    assert_eq!(error, DaneError::NoUsableRecords);

    let with_usable = [records[1].clone(), record(3, 1, 1, &world.leaf.cert)];
    assert!(usable(&with_usable));
    let matched = verify_chain(&world.chain(), &with_usable, &[MX], now()).unwrap();
    assert_eq!(matched.record, with_usable[1]);
}

#[test]
fn unknown_selector_and_matching_type_are_unusable() {
    let world = World::new();
    let mut unknown_selector = record(3, 1, 1, &world.leaf.cert);
    unknown_selector.selector = tls::Selector::Other(2);
    let mut unknown_matching = record(3, 1, 1, &world.leaf.cert);
    unknown_matching.matching = tls::Matching::Other(3);
    let records = [unknown_selector, unknown_matching];
    assert!(!usable(&records));
    assert_eq!(
        verify_chain(&world.chain(), &records, &[], now()),
        Err(DaneError::NoUsableRecords)
    );
}

#[test]
fn dane_match_serializes_for_the_trace() {
    let world = World::new();
    let records = [record(3, 1, 1, &world.leaf.cert)];
    let matched = verify_chain(&world.chain(), &records, &[], now()).unwrap();
    let json = serde_json::to_value(&matched).unwrap();
    assert_eq!(json["record"], records[0].to_string());
    assert_eq!(json["depth"], 0);

    let error = verify_chain(
        &world.chain(),
        &[record(3, 1, 1, &world.intermediate.cert)],
        &[],
        now(),
    )
    .unwrap_err();
    assert_eq!(serde_json::to_value(&error).unwrap()["kind"], "no_match");
}
