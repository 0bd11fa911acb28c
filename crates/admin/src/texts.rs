//! The console's fixed answers in words, in one table: what a refused or
//! failed request is told. Texts built from input (a bad queue id, a bad
//! time) are made where the input is read, with it escaped.

/// A request behind the login came without a current session.
pub(crate) const LOGIN_REQUIRED: &str = "login required";
/// A state change without the session's CSRF token.
pub(crate) const CSRF_REFUSED: &str = "the CSRF token is missing or wrong";
/// A state change posted by a page of another site.
pub(crate) const CROSS_SITE: &str = "cross-site request refused";
/// A login with a wrong name or password (API).
pub(crate) const WRONG_LOGIN: &str = "wrong name or password";
/// The same, on the login page.
pub(crate) const WRONG_LOGIN_PAGE: &str = "Wrong name or password.";
/// A login from an address that failed too often (API).
pub(crate) const TOO_MANY_LOGINS: &str = "too many failed logins from this address";
/// The same, on the login page.
pub(crate) const TOO_MANY_LOGINS_PAGE: &str =
    "Too many failed logins from your address: wait a while and try again.";
/// The store failed; the log has the cause.
pub(crate) const STORE_FAILED: &str = "the queue's store failed; see the server's log";
/// A page's template failed; the log has the cause.
pub(crate) const PAGE_FAILED: &str = "the page could not be rendered\n";
/// Too many report uploads at once.
pub(crate) const REPORTS_BUSY: &str = "busy with other reports; try again later\n";
/// A report upload was kept.
pub(crate) const REPORT_RECEIVED: &str = "report received\n";
/// An operation name that is none of the five.
pub(crate) const NO_SUCH_OPERATION: &str =
    "no such operation: retry, drop, hold, quarantine or release";
/// A selection that is not exactly one of id, domain or all.
pub(crate) const ONE_SELECTION: &str = "give exactly one of \"id\", \"domain\" or \"all\": true";
/// A sending limit release that names nobody.
pub(crate) const RELEASE_NEEDS_NAME: &str =
    "give \"name\": the user name or sender domain to release";
/// A trace search with nothing to search by.
pub(crate) const TRACE_NEEDS_KEY: &str =
    "give q (a queue id, Message-ID or recipient), recipient or sender";
