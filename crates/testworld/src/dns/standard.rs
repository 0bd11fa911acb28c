//! The standard DNS world: one zone for each DNSSEC situation the product
//! must tell apart. Tests, the interop check against Unbound and the demo
//! all use it, so each name here means the same everywhere.
//!
//! | name | situation |
//! |---|---|
//! | `secure.test.` | signed (NSEC): MX, A, TLSA, TXT, a CNAME, a null MX, an implicit-MX name, and `big.secure.test.` whose TXT answer only fits over TCP |
//! | `nsec3.test.` | signed (NSEC3) |
//! | `insecure.secure.test.` | unsigned child of an NSEC zone: insecure |
//! | `insecure.nsec3.test.` | unsigned child of an NSEC3 zone: insecure |
//! | `expired.test.` | every signature expired: bogus |
//! | `future.test.` | every signature not yet valid: bogus |
//! | `dsmismatch.test.` | parent's DS matches no key: bogus |
//! | `nosig.test.` | signatures missing from the data: bogus |
//! | `servfail.test.` | server failure |
//! | `silent.test.` | no answer at all |

use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record};

use super::{Denial, DnsWorld, Fault, name};

/// A TLSA association (3 1 1) used by the standard world; any 32 bytes do
/// for DNS tests.
pub const STANDARD_TLSA: &str = "8c7d6b2a0f1e3d4c5b6a79880716253443526170819f0e1d2c3b4a5968778695";

/// Builds the standard world (see the module documentation).
pub fn standard() -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("secure.test.", Denial::Nsec)
        .mx(10, "mx.secure.test.")
        .a("mx.secure.test.", "127.0.0.10")
        .a("mx.secure.test.", "::1")
        .tlsa("_25._tcp.mx.secure.test.", 3, 1, 1, STANDARD_TLSA)
        .txt("_mta-sts.secure.test.", "v=STSv1; id=20261130")
        .cname("alias.secure.test.", "mx.nsec3.test.")
        .mx_at("nullmx.secure.test.", 0, ".")
        .a("implicit.secure.test.", "127.0.0.11")
        .record(big_txt());
    world
        .signed_zone("nsec3.test.", Denial::Nsec3)
        .mx(10, "mx.nsec3.test.")
        .a("mx.nsec3.test.", "127.0.0.12");
    world
        .unsigned_zone("insecure.secure.test.")
        .mx(10, "mx.insecure.secure.test.")
        .a("mx.insecure.secure.test.", "127.0.0.13");
    world
        .unsigned_zone("insecure.nsec3.test.")
        .mx(10, "mx.insecure.nsec3.test.")
        .a("mx.insecure.nsec3.test.", "127.0.0.14");
    for (zone, fault) in [
        ("expired.test.", Fault::ExpiredSignatures),
        ("future.test.", Fault::SignaturesNotYetValid),
        ("dsmismatch.test.", Fault::DsMismatch),
        ("nosig.test.", Fault::MissingSignatures),
        ("servfail.test.", Fault::ServFail),
        ("silent.test.", Fault::Timeout),
    ] {
        let mx = format!("mx.{zone}");
        world
            .signed_zone(zone, Denial::Nsec)
            .mx(10, &mx)
            .a(&mx, "127.0.0.15")
            .fault(fault);
    }
    world
}

/// A TXT record of about 2.5 KB: larger than any EDNS UDP payload a
/// resolver offers by default (1232 bytes), so its answer is truncated over
/// UDP and must be fetched over TCP.
fn big_txt() -> Record {
    let strings = (0..10).map(|i| format!("{i}").repeat(250)).collect();
    Record::from_rdata(name("big.secure.test."), 300, RData::TXT(TXT::new(strings)))
}
