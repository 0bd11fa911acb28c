//! A local resolver that cannot serve DNSSEC is the sender's problem:
//! temporary `4.4.3`, never the recipient's `4.7.324` or `4.4.312`.

mod common;

use common::serve;
use policy::{Cause, Scope};
use testworld::dns::{Denial, DnsWorld, Misbehaviour};

#[tokio::test]
async fn broken_local_resolver_is_not_blamed_on_the_recipient() {
    for misbehaviour in [
        Misbehaviour::NxDomainToEverything,
        Misbehaviour::StripSignatures,
        Misbehaviour::RefuseDnssec,
        Misbehaviour::Silent,
    ] {
        let mut world = DnsWorld::new();
        world
            .signed_zone("fine.test.", Denial::Nsec)
            .mx(10, "mx.fine.test.")
            .a("mx.fine.test.", "127.0.0.40");
        let env = serve(world).await;
        env.server.set_misbehaviour(misbehaviour);
        let plan = env.plan("fine.test").await;
        let trouble = plan.trouble().expect("the domain is deferred");
        assert_eq!(trouble.cause, Cause::LocalResolver, "{misbehaviour:?}");
        assert!(trouble.is_temporary());
        assert_eq!(trouble.code().to_string(), "4.4.3");
        assert_eq!(trouble.scope(), Scope::Domain);
        assert!(
            trouble.text().contains("not of the recipient"),
            "{}",
            trouble.text()
        );
    }
}
