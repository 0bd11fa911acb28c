//! The DNS part of the test world: zones signed at build time, served by an
//! authoritative server on `127.0.0.1` over UDP and TCP.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use testworld::dns::{Denial, DnsWorld};
//! let mut world = DnsWorld::new();
//! world
//!     .signed_zone("example.test.", Denial::Nsec)
//!     .mx(10, "mx.example.test.")
//!     .a("mx.example.test.", "127.0.0.2");
//! let server = world.serve().await?;
//! println!("ask {} with trust anchor {}", server.addr(), server.trust_anchor_ds());
//! # Ok(()) }
//! ```

mod answer;
mod keys;
mod server;
mod standard;
mod zone;

pub use server::{DnsServer, Misbehaviour};
pub use standard::{STANDARD_TLSA, standard};
pub use zone::{Denial, Fault, ZoneSpec};

use std::collections::BTreeMap;

use hickory_proto::rr::Name;

/// Parses a name written in a test; names in tests are literals, so a bad one
/// is a bug in the test.
pub(crate) fn name(text: &str) -> Name {
    let mut name = Name::from_ascii(text).unwrap_or_else(|e| panic!("bad test name {text:?}: {e}"));
    name.set_fqdn(true);
    name
}

/// A set of zones to serve, rooted at a private, signed root zone.
///
/// Parents that are not declared are created (signed, NSEC) when the world is
/// served, so a test declares only the zones it cares about. Every delegation
/// gets NS records in its parent, and a DS when the child is signed.
pub struct DnsWorld {
    zones: BTreeMap<Name, ZoneSpec>,
}

impl Default for DnsWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl DnsWorld {
    /// A world holding only the signed root zone.
    pub fn new() -> Self {
        let mut world = Self {
            zones: BTreeMap::new(),
        };
        world.signed_zone(".", Denial::Nsec);
        world
    }

    /// Declares (or returns) a zone signed with the given denial method.
    pub fn signed_zone(&mut self, origin: &str, denial: Denial) -> &mut ZoneSpec {
        self.zone_with(origin, Some(denial))
    }

    /// Declares (or returns) an unsigned zone; its delegation has no DS, so
    /// answers from it are provably insecure when the parent is signed.
    pub fn unsigned_zone(&mut self, origin: &str) -> &mut ZoneSpec {
        self.zone_with(origin, None)
    }

    /// The zone declared at `origin`, if any.
    pub fn zone(&mut self, origin: &str) -> Option<&mut ZoneSpec> {
        self.zones.get_mut(&name(origin))
    }

    fn zone_with(&mut self, origin: &str, denial: Option<Denial>) -> &mut ZoneSpec {
        let origin = name(origin);
        let spec = self
            .zones
            .entry(origin.clone())
            .or_insert_with(|| ZoneSpec::new(origin, denial));
        spec.denial = denial;
        spec
    }

    /// Signs every zone and starts the authoritative server on 127.0.0.1.
    pub async fn serve(mut self) -> std::io::Result<DnsServer> {
        self.add_missing_parents();
        DnsServer::start(self.zones).await
    }

    pub(crate) fn add_missing_parents(&mut self) {
        let declared: Vec<Name> = self.zones.keys().cloned().collect();
        for origin in declared {
            let mut parent = origin.base_name();
            while !parent.is_root() {
                self.zones
                    .entry(parent.clone())
                    .or_insert_with(|| ZoneSpec::new(parent.clone(), Some(Denial::Nsec)));
                parent = parent.base_name();
            }
        }
    }
}
