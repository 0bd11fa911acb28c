//! The `check_host()` function (RFC 7208 §4–§6) on mail-auth's parsed
//! records, asking DNS through [`Asker`].

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf, Variables};

use super::ask::{Abort, Asker};
use super::{Identity, SpfInput, SpfResult, SpfVerdict};

/// The longest domain name used in a query (RFC 7208 §4.8).
const MAX_NAME: usize = 253;
/// PTR names examined (RFC 7208 §4.6.4).
const MAX_PTR_NAMES: usize = 10;
/// MX exchanges examined before `permerror` (RFC 7208 §4.6.4).
const MAX_MX: usize = 10;

/// The facts fixed for one evaluation.
struct Ctx<'a> {
    ip: IpAddr,
    sender: &'a str,
    helo: &'a str,
    receiver: &'a str,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `check_host()` for one identity and keeps what the trace needs.
pub(crate) async fn check(
    resolver: &dns::Resolver,
    input: &SpfInput<'_>,
    identity: Identity,
    domain: &str,
    sender: &str,
) -> SpfVerdict {
    let domain = domain.trim_end_matches('.');
    let mut verdict = SpfVerdict {
        result: SpfResult::None,
        identity,
        sender: sender.to_owned(),
        domain: domain.to_owned(),
        explanation: None,
        problem: None,
        lookups: Vec::new(),
    };
    if !valid_domain(domain) {
        verdict.problem = Some(format!(
            "{} is not a valid domain name (RFC 7208 §4.3)",
            smtp::quoted(domain)
        ));
        return verdict;
    }
    let ctx = Ctx {
        ip: input.ip.to_canonical(),
        sender,
        helo: input.helo,
        receiver: input.receiver,
    };
    let mut asker = Asker::new(resolver);
    match check_host(&mut asker, &ctx, domain.to_owned(), true).await {
        Ok((result, explanation)) => {
            verdict.result = result;
            verdict.explanation = explanation;
        }
        Err(Abort::Temp(why)) => {
            verdict.result = SpfResult::TempError;
            verdict.problem = Some(why);
        }
        Err(Abort::Perm(why)) => {
            verdict.result = SpfResult::PermError;
            verdict.problem = Some(why);
        }
    }
    verdict.lookups = asker.steps;
    verdict
}

/// RFC 7208 §4.3: a multi-label name with labels of 1 to 63 octets whose
/// last label is not numeric.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= MAX_NAME
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
        && labels
            .last()
            .is_some_and(|top| !top.bytes().all(|b| b.is_ascii_digit()))
}

/// The SPF record of `domain` (RFC 7208 §4.4, §4.5): `None` when there is
/// none.
async fn record(asker: &mut Asker<'_>, domain: &str) -> Result<Option<Spf>, Abort> {
    let Some(texts) = asker.txt(domain).await? else {
        return Ok(None);
    };
    let mut spf = texts.iter().filter(|t| is_spf1(t));
    let Some(first) = spf.next() else {
        return Ok(None);
    };
    if spf.next().is_some() {
        return Err(Abort::Perm(format!(
            "{domain} publishes more than one SPF record (RFC 7208 §4.5)"
        )));
    }
    Spf::parse(first)
        .map(Some)
        .map_err(|e| Abort::Perm(format!("the SPF record of {domain} does not parse: {e}")))
}

/// A record is selected when it starts with `v=spf1` followed by a space
/// or its end (RFC 7208 §4.5).
fn is_spf1(text: &[u8]) -> bool {
    text.len() >= 6
        && text[..6].eq_ignore_ascii_case(b"v=spf1")
        && (text.len() == 6 || text[6] == b' ')
}

fn check_host<'a>(
    asker: &'a mut Asker<'_>,
    ctx: &'a Ctx<'a>,
    domain: String,
    top: bool,
) -> Boxed<'a, Result<(SpfResult, Option<String>), Abort>> {
    Box::pin(async move {
        let Some(spf) = record(asker, &domain).await? else {
            return Ok((SpfResult::None, None));
        };
        let mut vars = variables(ctx, &domain);
        if spf.directives.iter().any(|d| d.mechanism.needs_ptr())
            || spf.redirect.as_ref().is_some_and(Macro::needs_ptr)
            || spf.exp.as_ref().is_some_and(Macro::needs_ptr)
        {
            let validated = validated_name(asker, ctx.ip, &domain).await;
            vars.set_validated_domain(validated.unwrap_or_else(|| "unknown".into()).into_bytes());
        }
        for directive in spf.directives.iter() {
            if matches(asker, ctx, &vars, &domain, &directive.mechanism).await? {
                let result = match directive.qualifier {
                    Qualifier::Pass => SpfResult::Pass,
                    Qualifier::Fail => SpfResult::Fail,
                    Qualifier::SoftFail => SpfResult::SoftFail,
                    Qualifier::Neutral => SpfResult::Neutral,
                };
                let explanation = if top && result == SpfResult::Fail {
                    explain(asker, ctx, &vars, &domain, spf.exp.as_ref()).await
                } else {
                    None
                };
                return Ok((result, explanation));
            }
        }
        if let Some(redirect) = &spf.redirect {
            asker.term()?;
            let target = target(redirect, &vars, &domain)?;
            return match check_host(asker, ctx, target.clone(), top).await? {
                (SpfResult::None, _) => Err(Abort::Perm(format!(
                    "redirect to {target}, which has no SPF record (RFC 7208 §6.1)"
                ))),
                found => Ok(found),
            };
        }
        Ok((SpfResult::Neutral, None))
    })
}

fn variables<'x>(ctx: &Ctx<'_>, domain: &str) -> Variables<'x> {
    let mut vars = Variables::new();
    vars.set_ip(&ctx.ip);
    vars.set_sender(ctx.sender.as_bytes().to_vec());
    vars.set_domain(domain.as_bytes().to_vec());
    vars.set_helo_domain(ctx.helo.as_bytes().to_vec());
    vars.set_host_domain(ctx.receiver.as_bytes().to_vec());
    vars
}

/// Expands a domain-spec (RFC 7208 §7) and truncates it from the left to
/// 253 octets (§4.8).
fn target(spec: &Macro, vars: &Variables<'_>, domain: &str) -> Result<String, Abort> {
    let expanded = spec.eval(vars, domain, false).into_owned();
    let mut name = expanded.trim_end_matches('.');
    while name.len() > MAX_NAME {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    if ends_in_literal(spec) && !ends_in_toplabel(name) {
        return Err(Abort::Perm(format!(
            "{} is not a domain name ending in a valid top label (RFC 7208 §7.1)",
            smtp::quoted(&expanded)
        )));
    }
    Ok(name.to_owned())
}

/// Whether a domain-spec ends in literal text rather than a macro, so that
/// its end must be a top label (RFC 7208 §7.1).
fn ends_in_literal(spec: &Macro) -> bool {
    match spec {
        Macro::Literal(_) => true,
        Macro::List(parts) => parts.last().is_some_and(ends_in_literal),
        Macro::Variable { .. } | Macro::None => false,
    }
}

/// RFC 7208 §7.1: `domain-end = ( "." toplabel [ "." ] )`, where
/// `toplabel = ( *alphanum ALPHA *alphanum ) /
///             ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`.
fn ends_in_toplabel(name: &str) -> bool {
    let Some((_, top)) = name.rsplit_once('.') else {
        return false;
    };
    let bytes = top.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if alnum(first) && alnum(last) => {
            bytes.iter().all(|b| alnum(b) || *b == b'-')
                && (bytes.iter().any(u8::is_ascii_alphabetic) && !bytes.contains(&b'-')
                    || bytes.contains(&b'-'))
        }
        _ => false,
    }
}

async fn matches(
    asker: &mut Asker<'_>,
    ctx: &Ctx<'_>,
    vars: &Variables<'_>,
    domain: &str,
    mechanism: &Mechanism,
) -> Result<bool, Abort> {
    let v6 = ctx.ip.is_ipv6();
    Ok(match mechanism {
        Mechanism::All => true,
        Mechanism::Ip4 { addr, mask } => match ctx.ip {
            IpAddr::V4(ip) => u32::from(ip) & mask == u32::from(*addr) & mask,
            IpAddr::V6(_) => false,
        },
        Mechanism::Ip6 { addr, mask } => match ctx.ip {
            IpAddr::V6(ip) => u128::from(ip) & mask == u128::from(*addr) & mask,
            IpAddr::V4(_) => false,
        },
        Mechanism::A {
            macro_string,
            ip4_mask,
            ip6_mask,
        } => {
            asker.term()?;
            let name = target(macro_string, vars, domain)?;
            match asker.addresses(&name, v6).await? {
                Some(found) => found
                    .iter()
                    .any(|a| in_net(ctx.ip, *a, *ip4_mask, *ip6_mask)),
                None => {
                    asker.void()?;
                    false
                }
            }
        }
        Mechanism::Mx {
            macro_string,
            ip4_mask,
            ip6_mask,
        } => {
            asker.term()?;
            let name = target(macro_string, vars, domain)?;
            let Some(exchanges) = asker.mx(&name).await? else {
                asker.void()?;
                return Ok(false);
            };
            if exchanges.len() > MAX_MX {
                return Err(Abort::Perm(format!(
                    "{name} has more than {MAX_MX} MX records (RFC 7208 §4.6.4)"
                )));
            }
            for exchange in exchanges {
                if let Some(found) = asker.addresses(&exchange, v6).await?
                    && found
                        .iter()
                        .any(|a| in_net(ctx.ip, *a, *ip4_mask, *ip6_mask))
                {
                    return Ok(true);
                }
            }
            false
        }
        Mechanism::Ptr { macro_string } => {
            asker.term()?;
            let name = target(macro_string, vars, domain)?.to_ascii_lowercase();
            validated_names(asker, ctx.ip)
                .await?
                .iter()
                .any(|v| is_within(v, &name))
        }
        Mechanism::Exists { macro_string } => {
            asker.term()?;
            let name = target(macro_string, vars, domain)?;
            // RFC 7208 §5.7: always an A query, whatever the client's family.
            match asker.addresses(&name, false).await? {
                Some(_) => true,
                None => {
                    asker.void()?;
                    false
                }
            }
        }
        Mechanism::Include { macro_string } => {
            asker.term()?;
            let name = target(macro_string, vars, domain)?;
            let ctx_ref = ctx;
            match check_host(asker, ctx_ref, name.clone(), false).await?.0 {
                SpfResult::Pass => true,
                SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => false,
                SpfResult::None => {
                    return Err(Abort::Perm(format!(
                        "include of {name}, which has no SPF record (RFC 7208 §5.2)"
                    )));
                }
                SpfResult::TempError | SpfResult::PermError => {
                    unreachable!("errors come back as Abort, never as a result")
                }
            }
        }
    })
}

fn in_net(ip: IpAddr, candidate: IpAddr, ip4_mask: u32, ip6_mask: u128) -> bool {
    match (ip, candidate) {
        (IpAddr::V4(ip), IpAddr::V4(c)) => u32::from(ip) & ip4_mask == u32::from(c) & ip4_mask,
        (IpAddr::V6(ip), IpAddr::V6(c)) => u128::from(ip) & ip6_mask == u128::from(c) & ip6_mask,
        _ => false,
    }
}

/// `name` equals `domain` or is below it, ignoring case.
fn is_within(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.');
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// The validated names of `ip` (RFC 7208 §5.5): PTR names (the first ten)
/// whose forward lookup gives `ip` back. A failed PTR lookup validates
/// nothing; a failed forward lookup skips that name.
async fn validated_names(asker: &mut Asker<'_>, ip: IpAddr) -> Result<Vec<String>, Abort> {
    let names = match asker.ptr(ip).await {
        Ok(Some(names)) => names,
        Ok(None) | Err(Abort::Temp(_)) => return Ok(Vec::new()),
        Err(perm) => return Err(perm),
    };
    let mut validated = Vec::new();
    for name in names.into_iter().take(MAX_PTR_NAMES) {
        if let Ok(Some(found)) = asker.addresses(&name, ip.is_ipv6()).await
            && found.contains(&ip)
        {
            validated.push(name.trim_end_matches('.').to_owned());
        }
    }
    Ok(validated)
}

/// The `%{p}` macro's value (RFC 7208 §7.3): a validated name equal to the
/// domain, else below it, else any.
async fn validated_name(asker: &mut Asker<'_>, ip: IpAddr, domain: &str) -> Option<String> {
    let names = validated_names(asker, ip).await.ok()?;
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(domain))
        .or_else(|| names.iter().find(|n| is_within(n, domain)))
        .or_else(|| names.first())
        .cloned()
}

/// The explanation of a `fail` (RFC 7208 §6.2): the TXT record at the
/// `exp=` target, expanded; any problem just means no explanation.
async fn explain(
    asker: &mut Asker<'_>,
    ctx: &Ctx<'_>,
    vars: &Variables<'_>,
    domain: &str,
    exp: Option<&Macro>,
) -> Option<String> {
    let name = target(exp?, vars, domain).ok()?;
    let texts = asker.txt(&name).await.ok()??;
    let [text] = texts.as_slice() else {
        return None;
    };
    if !text.is_ascii() {
        return None;
    }
    let text = Macro::parse(text).ok()?;
    let mut vars = variables(ctx, domain);
    if text.needs_ptr() {
        let validated = validated_name(asker, ctx.ip, domain).await;
        vars.set_validated_domain(validated.unwrap_or_else(|| "unknown".into()).into_bytes());
    }
    let explanation = text.eval(&vars, domain, false).into_owned();
    explanation.is_ascii().then_some(explanation)
}
