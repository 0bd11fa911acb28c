//! The SPF record grammar (RFC 7208 §4.5, §5, §6, §12):
//!
//! ```text
//! record           = version terms *SP
//! version          = "v=spf1"
//! terms            = *( 1*SP ( directive / modifier ) )
//! directive        = [ qualifier ] mechanism
//! qualifier        = "+" / "-" / "?" / "~"
//! mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
//! include          = "include"  ":" domain-spec
//! a                = "a"      [ ":" domain-spec ] [ dual-cidr-length ]
//! mx               = "mx"     [ ":" domain-spec ] [ dual-cidr-length ]
//! ptr              = "ptr"    [ ":" domain-spec ]
//! ip4              = "ip4"      ":" ip4-network   [ ip4-cidr-length ]
//! ip6              = "ip6"      ":" ip6-network   [ ip6-cidr-length ]
//! exists           = "exists"   ":" domain-spec
//! modifier         = redirect / explanation / unknown-modifier
//! redirect         = "redirect" "=" domain-spec
//! explanation      = "exp" "=" domain-spec
//! unknown-modifier = name "=" macro-string
//! name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
//! ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; 0-32
//! ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; 0-128
//! dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
//! ```
//!
//! The parser is lenient: it keeps every term it understands and lists the
//! others with the reason, so that a checker can say all that is wrong at
//! once. Any error makes the record a `permerror` for receivers.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::macros::{has_macro, validate_domain_spec, validate_macro_string};
pub use super::term::{Mechanism, Qualifier, Term, TermError, TermKind};

/// The version section (RFC 7208 §4.5).
const VERSION: &str = "v=spf1";

/// True when `text` is an SPF record: it begins with `v=spf1` followed by a
/// space or nothing (RFC 7208 §4.5). ABNF literals are case-insensitive.
pub fn is_spf(text: &str) -> bool {
    text.get(..VERSION.len())
        .is_some_and(|v| v.eq_ignore_ascii_case(VERSION))
        && text[VERSION.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ')
}

/// True when `text` is a Sender ID record (`spf2.0/mfrom`, `spf2.0/pra`,
/// RFC 4406 §3): not SPF (RFC 7208 §4.5 selects only `v=spf1`), and
/// obsolete since the experiment was concluded (RFC 6686).
pub fn is_sender_id(text: &str) -> bool {
    text.get(..SENDER_ID.len())
        .is_some_and(|v| v.eq_ignore_ascii_case(SENDER_ID))
}

/// The version prefix of a Sender ID record (RFC 4406 §3).
const SENDER_ID: &str = "spf2.0/";

/// An SPF record: the terms understood, in order, and the errors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpfRecord {
    /// The terms understood, in order.
    pub terms: Vec<Term>,
    /// The terms refused; any makes the record a permerror.
    pub errors: Vec<TermError>,
}

impl SpfRecord {
    /// Parses a record whose strings are already joined (RFC 7208 §3.3).
    /// A text that is not an SPF record at all (see [`is_spf`]) gives one
    /// error naming its first word.
    pub fn parse(text: &str) -> Self {
        let mut record = Self {
            terms: Vec::new(),
            errors: Vec::new(),
        };
        if !is_spf(text) {
            let first = text.split(' ').next().unwrap_or_default();
            record
                .errors
                .push(error(first, "the record does not begin with v=spf1"));
            return record;
        }
        let mut redirects = 0;
        let mut exps = 0;
        for word in text[VERSION.len()..].split(' ').filter(|w| !w.is_empty()) {
            match parse_term(word) {
                Ok(term) => {
                    let (count, name) = match term.kind {
                        TermKind::Redirect(_) => (&mut redirects, "redirect"),
                        TermKind::Exp(_) => (&mut exps, "exp"),
                        _ => {
                            record.terms.push(term);
                            continue;
                        }
                    };
                    *count += 1;
                    if *count > 1 {
                        // RFC 7208 §6: each at most once, else permerror.
                        record.errors.push(error(
                            word,
                            &format!("the {name} modifier appears more than once"),
                        ));
                    } else {
                        record.terms.push(term);
                    }
                }
                Err(e) => record.errors.push(e),
            }
        }
        record
    }

    /// The `all` directive's qualifier, if the record has one.
    pub fn all(&self) -> Option<Qualifier> {
        self.terms.iter().find_map(|t| match t.kind {
            TermKind::Directive {
                qualifier,
                mechanism: Mechanism::All,
            } => Some(qualifier),
            _ => None,
        })
    }

    /// The mechanisms written after `all`: receivers never reach them
    /// ("Mechanisms after "all" will never be tested", RFC 7208 §5.1).
    pub fn after_all(&self) -> Vec<&Term> {
        self.terms
            .iter()
            .skip_while(|t| {
                !matches!(
                    t.kind,
                    TermKind::Directive {
                        mechanism: Mechanism::All,
                        ..
                    }
                )
            })
            .skip(1)
            .filter(|t| matches!(t.kind, TermKind::Directive { .. }))
            .collect()
    }

    /// The `redirect=` term and its domain-spec, if any.
    pub fn redirect(&self) -> Option<(&Term, &str)> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Redirect(spec) => Some((t, spec.as_str())),
            _ => None,
        })
    }
}

fn error(term: &str, reason: &str) -> TermError {
    TermError {
        term: term.to_owned(),
        reason: reason.to_owned(),
    }
}

/// One term (RFC 7208 §4.6.1): a modifier when it starts with a valid name
/// followed by `=`, else a directive.
fn parse_term(word: &str) -> Result<Term, TermError> {
    let fail = |reason: &str| error(word, reason);
    if let Some((name, value)) = word.split_once('=')
        && is_modifier_name(name)
    {
        let kind = match name.to_ascii_lowercase().as_str() {
            "redirect" => {
                validate_domain_spec(value).map_err(|r| fail(&r))?;
                TermKind::Redirect(value.to_owned())
            }
            "exp" => {
                validate_domain_spec(value).map_err(|r| fail(&r))?;
                TermKind::Exp(value.to_owned())
            }
            _ => {
                validate_macro_string(value).map_err(|r| fail(&r))?;
                TermKind::Unknown {
                    name: name.to_owned(),
                }
            }
        };
        return Ok(Term {
            text: word.to_owned(),
            kind,
        });
    }
    let (qualifier, rest) = match word.chars().next() {
        Some('+') => (Qualifier::Pass, &word[1..]),
        Some('-') => (Qualifier::Fail, &word[1..]),
        Some('~') => (Qualifier::SoftFail, &word[1..]),
        Some('?') => (Qualifier::Neutral, &word[1..]),
        _ => (Qualifier::Pass, word),
    };
    let split = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, args) = rest.split_at(split);
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if args.is_empty() => Mechanism::All,
        "all" => return Err(fail("all takes no arguments")),
        "include" => Mechanism::Include(required_domain(args).map_err(|r| fail(&r))?),
        "exists" => Mechanism::Exists(required_domain(args).map_err(|r| fail(&r))?),
        "a" => Mechanism::A(domain_and_cidr(args).map_err(|r| fail(&r))?),
        "mx" => Mechanism::Mx(domain_and_cidr(args).map_err(|r| fail(&r))?),
        "ptr" => Mechanism::Ptr(optional_domain(args).map_err(|r| fail(&r))?),
        "ip4" => Mechanism::Ip4(network::<Ipv4Addr>(args, 32).map_err(|r| fail(&r))?),
        "ip6" => Mechanism::Ip6(network::<Ipv6Addr>(args, 128).map_err(|r| fail(&r))?),
        "" => return Err(fail("a qualifier with no mechanism")),
        other => return Err(fail(&format!("unknown mechanism {}", smtp::quoted(other)))),
    };
    Ok(Term {
        text: word.to_owned(),
        kind: TermKind::Directive {
            qualifier,
            mechanism,
        },
    })
}

/// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` (RFC 7208 §12).
fn is_modifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `":" domain-spec`, required.
fn required_domain(args: &str) -> Result<String, String> {
    let spec = args
        .strip_prefix(':')
        .ok_or("a domain is required after ':'")?;
    validate_domain_spec(spec)?;
    Ok(spec.to_owned())
}

/// `[ ":" domain-spec ]`.
fn optional_domain(args: &str) -> Result<Option<String>, String> {
    if args.is_empty() {
        return Ok(None);
    }
    required_domain(args).map(Some)
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]`: the CIDR lengths are read
/// from the end, since a domain-spec may itself hold `/`.
fn domain_and_cidr(args: &str) -> Result<Option<String>, String> {
    let mut rest = args;
    if let Some(at) = rest.rfind("//") {
        cidr(&rest[at + 2..], 128)?;
        rest = &rest[..at];
    }
    if let Some(at) = rest.rfind('/')
        && !rest[at + 1..].contains(['.', '%', '}'])
    {
        cidr(&rest[at + 1..], 32)?;
        rest = &rest[..at];
    }
    optional_domain(rest)
}

/// A CIDR length without leading zeros, at most `max`.
fn cidr(text: &str, max: u8) -> Result<u8, String> {
    let bad = || {
        format!(
            "{} is not a prefix length from 0 to {max}",
            smtp::quoted(text)
        )
    };
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return Err(bad());
    }
    let length: u8 = text.parse().map_err(|_| bad())?;
    if length > max {
        return Err(bad());
    }
    Ok(length)
}

/// `":" network [ "/" length ]` for ip4 or ip6.
fn network<A: std::str::FromStr>(args: &str, max: u8) -> Result<String, String> {
    let spec = args
        .strip_prefix(':')
        .ok_or("an address is required after ':'")?;
    let (address, length) = match spec.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (spec, None),
    };
    address
        .parse::<A>()
        .map_err(|_| format!("{} is not a valid address", smtp::quoted(address)))?;
    if let Some(length) = length {
        cidr(length, max)?;
    }
    Ok(spec.to_owned())
}

/// True when a domain-spec depends on the message being checked (it holds
/// a macro other than the literal escapes), so it cannot be followed here.
pub fn depends_on_message(spec: &str) -> bool {
    has_macro(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TermKind> {
        let record = SpfRecord::parse(text);
        assert!(record.errors.is_empty(), "{:?}", record.errors);
        record.terms.into_iter().map(|t| t.kind).collect()
    }

    fn errors(text: &str) -> Vec<String> {
        SpfRecord::parse(text)
            .errors
            .into_iter()
            .map(|e| e.term)
            .collect()
    }

    fn directive(qualifier: Qualifier, mechanism: Mechanism) -> TermKind {
        TermKind::Directive {
            qualifier,
            mechanism,
        }
    }

    #[test]
    fn version_must_be_a_whole_word() {
        assert!(is_spf("v=spf1"));
        assert!(is_spf("v=spf1 -all"));
        assert!(is_spf("V=SPF1 -all"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=spf2.0/pra -all"));
        assert!(!is_spf("spf1"));
    }

    #[test]
    fn mechanisms_qualifiers_and_modifiers() {
        assert_eq!(
            kinds(
                "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/24//64 \
                 ~include:_spf.example.net ?exists:%{i}._ip.example.org ptr -all \
                 redirect=other.example exp=explain.%{d} x-custom=whatever"
            ),
            vec![
                directive(Qualifier::Pass, Mechanism::Ip4("192.0.2.0/24".into())),
                directive(Qualifier::Pass, Mechanism::Ip6("2001:db8::/32".into())),
                directive(Qualifier::Pass, Mechanism::A(None)),
                directive(
                    Qualifier::Pass,
                    Mechanism::Mx(Some("mail.example.com".into()))
                ),
                directive(
                    Qualifier::SoftFail,
                    Mechanism::Include("_spf.example.net".into())
                ),
                directive(
                    Qualifier::Neutral,
                    Mechanism::Exists("%{i}._ip.example.org".into())
                ),
                directive(Qualifier::Pass, Mechanism::Ptr(None)),
                directive(Qualifier::Fail, Mechanism::All),
                TermKind::Redirect("other.example".into()),
                TermKind::Exp("explain.%{d}".into()),
                TermKind::Unknown {
                    name: "x-custom".into()
                },
            ]
        );
    }

    #[test]
    fn mechanism_names_are_case_insensitive_and_spaces_repeat() {
        assert_eq!(
            kinds("v=spf1  A/24  Include:x.example   -ALL "),
            vec![
                directive(Qualifier::Pass, Mechanism::A(None)),
                directive(Qualifier::Pass, Mechanism::Include("x.example".into())),
                directive(Qualifier::Fail, Mechanism::All),
            ]
        );
    }

    #[test]
    fn bad_terms_are_named() {
        assert_eq!(
            errors(
                "v=spf1 ip4:300.1.1.1 ip4:192.0.2.0/33 ip6:zz include include:localhost \
                 foo:bar all:x + a/024 mx:example.com/ -all"
            ),
            vec![
                "ip4:300.1.1.1",
                "ip4:192.0.2.0/33",
                "ip6:zz",
                "include",
                "include:localhost",
                "foo:bar",
                "all:x",
                "+",
                "a/024",
                "mx:example.com/",
            ]
        );
    }

    #[test]
    fn modifiers_may_appear_once() {
        let record = SpfRecord::parse("v=spf1 redirect=a.example redirect=b.example");
        assert_eq!(
            errors("v=spf1 redirect=a.example redirect=b.example"),
            vec!["redirect=b.example"]
        );
        assert_eq!(
            record.redirect().map(|(t, spec)| (t.text.as_str(), spec)),
            Some(("redirect=a.example", "a.example"))
        );
        assert_eq!(
            errors("v=spf1 exp=a.example exp=b.example -all"),
            vec!["exp=b.example"]
        );
    }

    #[test]
    fn all_and_redirect_are_found() {
        let record = SpfRecord::parse("v=spf1 mx ~all");
        assert_eq!(record.all(), Some(Qualifier::SoftFail));
        assert!(record.redirect().is_none());
        assert_eq!(SpfRecord::parse("v=spf1 all").all(), Some(Qualifier::Pass));
        assert_eq!(SpfRecord::parse("v=spf1 mx").all(), None);
    }

    #[test]
    fn mechanisms_after_all_are_found_and_modifiers_are_not() {
        let record = SpfRecord::parse("v=spf1 mx -all exp=why.example include:late.example a");
        let late: Vec<&str> = record.after_all().iter().map(|t| t.text.as_str()).collect();
        assert_eq!(late, ["include:late.example", "a"]);
        assert!(SpfRecord::parse("v=spf1 mx -all").after_all().is_empty());
        assert!(SpfRecord::parse("v=spf1 mx").after_all().is_empty());
    }

    #[test]
    fn sender_id_records_are_recognized() {
        assert!(is_sender_id("spf2.0/pra -all"));
        assert!(is_sender_id("SPF2.0/mfrom,pra include:x.example ~all"));
        assert!(!is_sender_id("v=spf1 -all"));
        assert!(!is_spf("spf2.0/pra -all"));
    }

    #[test]
    fn lookup_terms_are_the_ones_rfc_7208_counts() {
        let counted: Vec<bool> = SpfRecord::parse(
            "v=spf1 include:a.example a mx ptr exists:b.example ip4:192.0.2.1 ip6:::1 all",
        )
        .terms
        .iter()
        .map(|t| match &t.kind {
            TermKind::Directive { mechanism, .. } => mechanism.counts_lookup(),
            _ => unreachable!(),
        })
        .collect();
        assert_eq!(counted, [true, true, true, true, true, false, false, false]);
    }
}
