//! Who asks for TLS reports (RFC 8460 §3): exactly one `v=TLSRPTv1`
//! record at `_smtp._tls.<domain>`; several, a malformed one, or one with
//! no usable destination mean no report; destinations are bounded.

use std::time::Duration;

use dns::{Resolver, ResolverConfig, TrustAnchor};
use report::tlsrpt::{DiscoveryError, discover};
use testworld::dns::{Denial, DnsWorld};

#[tokio::test]
async fn exactly_one_valid_record_names_the_destinations() {
    let mut world = DnsWorld::new();
    {
        let z = world.signed_zone("rpt.test.", Denial::Nsec);
        z.txt(
            "_smtp._tls.one.rpt.test.",
            "v=TLSRPTv1; rua=mailto:a@rpt.test,https://r.rpt.test/v1,ftp://x.rpt.test/",
        );
        z.txt("_smtp._tls.one.rpt.test.", "some other text");
        z.txt(
            "_smtp._tls.two.rpt.test.",
            "v=TLSRPTv1; rua=mailto:a@rpt.test",
        );
        z.txt(
            "_smtp._tls.two.rpt.test.",
            "v=TLSRPTv1; rua=mailto:b@rpt.test",
        );
        z.txt(
            "_smtp._tls.bad.rpt.test.",
            "v=TLSRPTv1; rua=mailto:a@rpt.test; rua=mailto:b@rpt.test",
        );
        z.txt(
            "_smtp._tls.ftp.rpt.test.",
            "v=TLSRPTv1; rua=ftp://x.rpt.test/",
        );
        let many: Vec<String> = (0..10).map(|i| format!("mailto:r{i}@rpt.test")).collect();
        z.txt(
            "_smtp._tls.many.rpt.test.",
            &format!("v=TLSRPTv1; rua={}", many.join(",")),
        );
    }
    let dns = world.serve().await.unwrap();
    let resolver = Resolver::new(
        ResolverConfig::new(vec![dns.addr()])
            .with_trust_anchors(TrustAnchor::parse(&dns.trust_anchor_ds()).unwrap())
            .with_timeout(Duration::from_millis(500), 1),
    );

    let one = discover(&resolver, "one.rpt.test", 5).await.unwrap();
    let uris: Vec<&str> = one.iter().map(|u| u.uri.as_str()).collect();
    assert_eq!(uris, ["mailto:a@rpt.test", "https://r.rpt.test/v1"]);

    let several = discover(&resolver, "two.rpt.test", 5).await.unwrap_err();
    assert!(
        matches!(several, DiscoveryError::Several { count: 2, .. }),
        "{several}"
    );
    let bad = discover(&resolver, "bad.rpt.test", 5).await.unwrap_err();
    assert!(matches!(bad, DiscoveryError::Malformed { .. }), "{bad}");
    let ftp = discover(&resolver, "ftp.rpt.test", 5).await.unwrap_err();
    assert!(matches!(ftp, DiscoveryError::NoDestination { .. }), "{ftp}");
    let none = discover(&resolver, "none.rpt.test", 5).await.unwrap_err();
    assert!(matches!(none, DiscoveryError::NoRecord { .. }), "{none}");
    assert!(
        ![&several, &bad, &ftp, &none]
            .iter()
            .any(|e| e.is_temporary())
    );

    let many = discover(&resolver, "many.rpt.test", 5).await.unwrap();
    assert_eq!(many.len(), 5, "a bounded number of destinations");
}
