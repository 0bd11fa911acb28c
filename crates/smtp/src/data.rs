//! Message data on the wire: line ends, dot-stuffing and the end-of-data
//! marker (RFC 5321 §4.1.1.4 and §4.5.2).

/// The end-of-data line, `"." CRLF`.
pub const END_OF_DATA: &[u8] = b".\r\n";

/// Whether the message has octets above 127 and so needs `BODY=8BITMIME`
/// (RFC 6152) to go as it is.
pub fn is_eight_bit(message: &[u8]) -> bool {
    message.iter().any(|&b| b >= 0x80)
}

/// Turns a message into what follows the 354 reply: every line ending in
/// CRLF, every line that begins with a dot given one more (RFC 5321 §4.5.2:
/// "Before sending a line of mail text, the SMTP client checks the first
/// character of the line. If it is a period, one additional period is
/// inserted at the beginning of the line."), then `"." CRLF`.
///
/// A bare LF and a bare CR both become CRLF (RFC 5321 §2.3.8: they must not
/// be sent). Leaving either would let a receiver that reads them as line
/// ends see an end of data where we did not put one ("SMTP smuggling").
/// A last line without a line end gets one.
pub fn encode(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 8);
    let mut at_line_start = true;
    let mut index = 0;
    while index < message.len() {
        let byte = message[index];
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        match byte {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if message.get(index + 1) == Some(&b'\n') {
                    index += 1;
                }
                at_line_start = true;
            }
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            _ => {
                out.push(byte);
                at_line_start = false;
            }
        }
        index += 1;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(END_OF_DATA);
    out
}

/// What one received data line means, server side.
#[derive(Debug, PartialEq, Eq)]
pub enum DataLine<'a> {
    /// The end-of-data line: exactly `"." CRLF`.
    End,
    /// A line of the message, with its leading dot removed if it was stuffed
    /// (RFC 5321 §4.5.2: "If the first character is a period and there are
    /// other characters on the line, the first character is deleted.").
    Text(&'a [u8]),
}

/// Reads one received data line (line end included). Only `"." CRLF` ends
/// the data; a dot before a bare LF does not, so that a smuggled end marker
/// is kept as text.
pub fn decode_line(line: &[u8]) -> DataLine<'_> {
    if line == END_OF_DATA {
        return DataLine::End;
    }
    match line.strip_prefix(b".") {
        Some(rest) => DataLine::Text(rest),
        None => DataLine::Text(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(wire: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in wire.split_inclusive(|&b| b == b'\n') {
            match decode_line(line) {
                DataLine::End => return out,
                DataLine::Text(text) => out.extend_from_slice(text),
            }
        }
        panic!("no end of data");
    }

    #[test]
    fn stuffs_leading_dots_and_terminates() {
        assert_eq!(
            encode(b"a\r\n.b\r\n..c\r\n.\r\n"),
            b"a\r\n..b\r\n...c\r\n..\r\n.\r\n".to_vec()
        );
        assert_eq!(encode(b".first"), b"..first\r\n.\r\n".to_vec());
    }

    #[test]
    fn normalises_bare_line_ends() {
        assert_eq!(
            encode(b"a\nb\rc\r\n\n.\rd"),
            b"a\r\nb\r\nc\r\n\r\n..\r\nd\r\n.\r\n".to_vec()
        );
    }

    #[test]
    fn smuggled_end_marker_is_stuffed() {
        let wire = encode(b"x\n.\nMAIL FROM:<evil>\r\n");
        assert_eq!(
            decode_all(&wire),
            b"x\r\n.\r\nMAIL FROM:<evil>\r\n".to_vec()
        );
    }

    #[test]
    fn empty_message_is_just_the_marker() {
        assert_eq!(encode(b""), END_OF_DATA.to_vec());
    }

    #[test]
    fn decode_keeps_dot_before_bare_lf_as_text() {
        assert_eq!(decode_line(b".\n"), DataLine::Text(b"\n"));
        assert_eq!(decode_line(b".\r\n"), DataLine::End);
    }

    #[test]
    fn eight_bit_detection() {
        assert!(!is_eight_bit(b"plain ascii\r\n"));
        assert!(is_eight_bit("caf\u{e9}".as_bytes()));
    }
}
