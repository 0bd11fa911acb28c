//! Property tests with arbitrary input for the TLSA parsers (RFC 6698 §2):
//! the wire form a DNS answer carries, the presentation form an operator
//! types, and DANE matching of arbitrary bytes as certificates. No input
//! panics, and what is parsed stays bounded by the input.
//!
//! Case count: `PROPTEST_CASES` (proptest's default is 256); the hour-long
//! run is `scripts/fuzz-hour.sh`.

use std::time::Duration;

use proptest::prelude::*;
use tls::Tlsa;
use tls::pki_types::{CertificateDer, UnixTime};

/// Inputs are capped: a TLSA RDATA fits in a 64 KiB RR.
const MAX_INPUT: usize = 70_000;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..MAX_INPUT)
}

fn presentation() -> impl Strategy<Value = String> {
    let token = proptest::sample::select(vec![
        "0", "1", "2", "3", "255", "256", "DANE-EE", "dane-ta", "SPKI", "Cert", "SHA2-256",
        "sha2-512", "Full", " ", "\t", "\n", "ab", "0F", "g", "-1", "00",
    ]);
    prop_oneof![
        bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        proptest::collection::vec(token, 0..64).prop_map(|t| t.concat()),
        "\\PC{0,512}",
    ]
}

proptest! {
    // Cases from PROPTEST_CASES (default 256); no regression files in the
    // source tree: a failure prints its minimal input, kept as a unit test.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tlsa_wire_form_never_panics_and_round_trips(rdata in bytes()) {
        if let Ok(record) = Tlsa::from_rdata(&rdata) {
            prop_assert_eq!(record.to_rdata(), rdata);
        }
    }

    #[test]
    fn tlsa_presentation_form_never_panics_and_is_bounded(text in presentation()) {
        if let Ok(record) = text.parse::<Tlsa>() {
            prop_assert!(record.data.len() <= text.len() / 2);
            let again: Tlsa = record.to_string().parse().expect("own output parses");
            prop_assert_eq!(again, record);
        }
    }

    #[test]
    fn dane_matching_of_arbitrary_certificates_never_panics(
        chain in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2048), 0..4),
        rdata in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 3..256), 1..4),
    ) {
        let chain: Vec<CertificateDer<'_>> = chain.into_iter().map(CertificateDer::from).collect();
        let records: Vec<Tlsa> = rdata.iter().filter_map(|r| Tlsa::from_rdata(r).ok()).collect();
        let now = UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000));
        // Arbitrary bytes are never a certificate a record can vouch for,
        // except through a DANE-EE Full(0) record that holds them whole.
        if let Ok(found) = tls::verify_chain(&chain, &records, &["mx.example"], now) {
            prop_assert!(found.depth <= chain.len());
        }
    }
}
