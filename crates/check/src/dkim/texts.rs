//! The DKIM table: every finding the DKIM key check reports, with its
//! severity, title and remedy.

use crate::finding::{Area, Severity};
use crate::text::Text;

use Severity::{Error, Pass, Warning};

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Dkim, id, severity, title, remedy)
}

pub(crate) const LOOKUP_FAILED: Text = row(
    "dkim-lookup-failed",
    Error,
    "The DKIM key could not be looked up",
    "Make every authoritative server of {domain} answer TXT queries for the selector's name \
     and, if the zone is signed, keep its signatures valid: until then receivers cannot verify \
     signatures made with this selector (temperror).",
);
pub(crate) const MISSING: Text = row(
    "dkim-missing",
    Error,
    "No DKIM key for the selector",
    "Publish the key record at {selector}._domainkey.{domain} (`sealane dkim keygen` prints it, \
     `sealane publish --dkim-key` prints it for an existing key): signatures with this selector \
     fail (permerror) until it is there.",
);
pub(crate) const MULTIPLE: Text = row(
    "dkim-multiple-records",
    Warning,
    "More than one DKIM key record for the selector",
    "Keep one key record per selector and give a new key a new selector: receivers may pick \
     either record (RFC 6376 §3.6.2.2), so signatures fail at random.",
);
pub(crate) const MALFORMED: Text = row(
    "dkim-malformed",
    Error,
    "The DKIM key record is malformed",
    "Publish the record as `v=DKIM1; k=rsa; p=BASE64` (or k=ed25519) with the base64 public \
     key, split into strings of at most 255 characters (RFC 6376 §3.6.1, §3.6.2.2): receivers \
     treat signatures under a malformed record as failed.",
);
pub(crate) const REVOKED: Text = row(
    "dkim-revoked",
    Error,
    "The DKIM key is revoked",
    "p= is empty, which revokes the key (RFC 6376 §3.6.1): every signature with this selector \
     fails. If the selector is still in use, sign with a selector that has a key, or publish \
     its key again.",
);
pub(crate) const TOO_SHORT: Text = row(
    "dkim-key-too-short",
    Error,
    "The DKIM RSA key is shorter than 1024 bits",
    "Make a new key of 2048 bits (`sealane dkim keygen --algorithm rsa`) under a new selector: \
     verifiers must not accept signatures with RSA keys under 1024 bits (RFC 8301 §3.2).",
);
pub(crate) const WEAK: Text = row(
    "dkim-key-weak",
    Warning,
    "The DKIM RSA key is shorter than 2048 bits",
    "Make a new key of 2048 bits (`sealane dkim keygen --algorithm rsa`) under a new selector \
     and move signing to it: signers should use at least 2048 bits (RFC 8301 §3.2).",
);
pub(crate) const TESTING: Text = row(
    "dkim-testing",
    Warning,
    "The DKIM key is in testing mode (t=y)",
    "Remove t=y once signing works: receivers may treat signatures under a testing key as if \
     the message were unsigned (RFC 6376 §3.6.1), which DMARC does not count as aligned.",
);
pub(crate) const SHA1_ONLY: Text = row(
    "dkim-sha1-only",
    Error,
    "The DKIM key allows only SHA-1",
    "Drop h=sha1 (or write h=sha256) and sign with rsa-sha256: verifiers must not accept \
     rsa-sha1 signatures (RFC 8301 §3.1).",
);
pub(crate) const NOT_FOR_EMAIL: Text = row(
    "dkim-not-for-email",
    Error,
    "The DKIM key is not for email",
    "Drop s= or include email in it (s=email or s=*): verifiers ignore a key whose service \
     types leave out email (RFC 6376 §3.6.1).",
);
pub(crate) const VALID: Text = row("dkim-key-valid", Pass, "DKIM key published", "");

/// Every row, for the table's test.
#[cfg(test)]
pub(crate) const ALL: &[Text] = &[
    LOOKUP_FAILED,
    MISSING,
    MULTIPLE,
    MALFORMED,
    REVOKED,
    TOO_SHORT,
    WEAK,
    TESTING,
    SHA1_ONLY,
    NOT_FOR_EMAIL,
    VALID,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_well_formed() {
        crate::text::tests::check_table(super::ALL, "dkim-");
    }
}
