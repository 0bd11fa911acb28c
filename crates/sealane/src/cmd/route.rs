//! `sealane route`: a dry run for one destination. It shows what DNS,
//! DANE and MTA-STS say, connects to every MX host, does STARTTLS and
//! verifies exactly as delivery would, QUITs before MAIL, and says what
//! would happen to a message now and why. `docs/route-json.md` documents
//! the JSON form.

use std::process::ExitCode;

use anyhow::anyhow;
use delivery::Verdict;
use dns::Resolver;

use super::deliver::{LocalPolicyArgs, TransportArgs};
use super::resolver::ResolverArgs;
use crate::exit::Failure;

/// Arguments of `sealane route`.
#[derive(clap::Args)]
pub struct Args {
    /// An address (user@example.com) or a domain (example.com).
    destination: String,
    #[command(flatten)]
    resolver: ResolverArgs,
    #[command(flatten)]
    transport: TransportArgs,
    #[command(flatten)]
    local: LocalPolicyArgs,
    /// Print the report as JSON (see docs/route-json.md).
    #[arg(long)]
    json: bool,
}

/// Runs the dry run. Exit 0 when a message would be delivered now, 75 when
/// it would be deferred, 1 when it would bounce, 2 for bad input.
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let domain = match args.destination.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => domain,
        Some(_) => {
            return Err(Failure::Input(anyhow!(
                "{} has no domain after the @",
                smtp::quoted(&args.destination)
            )));
        }
        None => args.destination.as_str(),
    };
    let name = Resolver::parse_name(domain).map_err(|e| Failure::Input(e.into()))?;
    let resolver = Resolver::new(args.resolver.config()?);
    let options = args.transport.options()?;
    let sts = args.transport.sts_policies(&resolver, &options)?;
    let plan = policy::plan_with_sts(&resolver, &name, &args.local.options(), &sts).await;
    let probes = delivery::probe(&plan, &options).await;
    let verdict = Verdict::of(&plan, &probes);
    if args.json {
        let report = delivery::RouteReport::new(&args.destination, &plan, &probes, &verdict);
        let text = serde_json::to_string_pretty(&report).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        crate::output::human(&super::route_text::render(
            &args.destination,
            &plan,
            &probes,
            &verdict,
        ));
    }
    Ok(match verdict {
        Verdict::Deliver { .. } => ExitCode::SUCCESS,
        Verdict::Defer { .. } => ExitCode::from(75),
        Verdict::Bounce { .. } => ExitCode::from(1),
    })
}
