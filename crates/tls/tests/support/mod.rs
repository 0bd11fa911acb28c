//! A small test PKI made with rcgen: root and intermediate CAs, leaves with
//! chosen names and validity, and a clock.
#![allow(dead_code)]

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use tls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use tls::{Matching, Selector, Tlsa, Usage};

/// A certification authority that can issue certificates.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key.
pub struct Leaf {
    pub cert: CertificateDer<'static>,
    pub pem: String,
    pub key: KeyPair,
}

impl Leaf {
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl Ca {
    /// A self-signed root.
    pub fn root(name: &str) -> Self {
        let key = KeyPair::generate().expect("key");
        let params = ca_params(name);
        let issued = params.self_signed(&key).expect("root");
        Self {
            cert: issued.der().clone(),
            pem: issued.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str) -> Self {
        self.intermediate_valid(name, (1975, 1, 1), (4096, 1, 1))
    }

    /// An intermediate CA issued by this one, valid between the dates.
    pub fn intermediate_valid(&self, name: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> Self {
        let key = KeyPair::generate().expect("key");
        let mut params = ca_params(name);
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(to.0, to.1, to.2);
        let issued = params.signed_by(&key, &self.issuer).expect("intermediate");
        Self {
            cert: issued.der().clone(),
            pem: issued.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names`, valid during 2026.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_valid(names, (2026, 1, 1), (2026, 12, 31))
    }

    /// A server certificate for `names`, valid between the dates.
    pub fn leaf_valid(&self, names: &[&str], from: (i32, u8, u8), to: (i32, u8, u8)) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("names");
        params.distinguished_name.push(DnType::CommonName, "server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(to.0, to.1, to.2);
        let issued = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf {
            cert: issued.der().clone(),
            pem: issued.pem(),
            key,
        }
    }
}

/// Midnight UTC on a date.
pub fn ymd(year: i32, month: u8, day: u8) -> UnixTime {
    let secs = date_time_ymd(year, month, day).unix_timestamp();
    UnixTime::since_unix_epoch(Duration::from_secs(secs as u64))
}

/// "Now" for the tests: inside every default validity period.
pub fn now() -> UnixTime {
    ymd(2026, 6, 1)
}

/// After the default leaf validity.
pub fn next_year() -> UnixTime {
    ymd(2027, 6, 1)
}

/// The record `usage selector matching` for a certificate.
pub fn record(usage: u8, selector: u8, matching: u8, cert: &CertificateDer<'_>) -> Tlsa {
    tls::tlsa_for_certificate(
        cert,
        Usage::from(usage),
        Selector::from(selector),
        Matching::from(matching),
    )
    .expect("record")
}

/// The usual test world: root → intermediate → leaf for mx.example.com.
pub struct World {
    pub root: Ca,
    pub intermediate: Ca,
    pub leaf: Leaf,
}

impl World {
    pub fn new() -> Self {
        let root = Ca::root("Test Root");
        let intermediate = root.intermediate("Test Intermediate");
        let leaf = intermediate.leaf(&["mx.example.com"]);
        Self {
            root,
            intermediate,
            leaf,
        }
    }

    /// Leaf and intermediate, as servers usually send.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.leaf.cert.clone(), self.intermediate.cert.clone()]
    }

    /// Leaf, intermediate and root.
    pub fn full_chain(&self) -> Vec<CertificateDer<'static>> {
        vec![
            self.leaf.cert.clone(),
            self.intermediate.cert.clone(),
            self.root.cert.clone(),
        ]
    }
}
