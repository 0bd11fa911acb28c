//! What is delivered: the envelope and the data.

/// One message for recipients of one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The envelope sender; empty for the null sender `<>`.
    pub sender: String,
    /// The recipients, all in the plan's domain.
    pub recipients: Vec<String>,
    /// The message as it goes on the wire (header and body, CRLF or LF).
    pub data: Vec<u8>,
    /// The message carries REQUIRETLS (RFC 8689): it may only go over
    /// authenticated TLS to a host that offers REQUIRETLS.
    pub require_tls: bool,
}
