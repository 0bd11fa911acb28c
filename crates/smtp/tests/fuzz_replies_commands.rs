//! Property tests with arbitrary bytes for the SMTP parsers that read the
//! network: replies (RFC 5321 §4.2) line by line as the client reads a
//! server, EHLO capabilities, enhanced status codes (RFC 3463), commands
//! as the server reads a client, and DATA lines (RFC 5321 §4.5.2). No input
//! panics; what is kept stays bounded by the input and by the parser's own
//! limits ([`smtp::MAX_REPLY_LINES`]).
//!
//! Case count: `PROPTEST_CASES` (proptest's default is 256); the hour-long
//! run is `scripts/fuzz-hour.sh`.

use proptest::prelude::*;
use smtp::{Capabilities, Command, EnhancedCode, ReplyParser};

/// The client reads reply lines of at most [`smtp::MAX_REPLY_LINE`] bytes;
/// inputs go somewhat past it.
const MAX_LINE: usize = smtp::MAX_REPLY_LINE + 64;

fn line() -> impl Strategy<Value = Vec<u8>> {
    let token = proptest::sample::select(vec![
        "250",
        "250-",
        "250 ",
        "220 ",
        "421-",
        "550 ",
        "5.7.1 ",
        "4.4.2 ",
        "2.0.0",
        "STARTTLS",
        "SIZE 1000",
        "8BITMIME",
        "PIPELINING",
        "SMTPUTF8",
        "DSN",
        "\r\n",
        "\n",
        "\r",
        "\0",
        "\x1b[2J",
        "999 ",
        "199 ",
        "2",
        "x",
    ]);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..MAX_LINE),
        proptest::collection::vec(token, 0..32).prop_map(|t| t.concat().into_bytes()),
    ]
}

fn command() -> impl Strategy<Value = Vec<u8>> {
    let token = proptest::sample::select(vec![
        "EHLO ",
        "HELO ",
        "MAIL FROM:",
        "RCPT TO:",
        "DATA",
        "RSET",
        "QUIT",
        "NOOP",
        "STARTTLS",
        "<",
        ">",
        "@",
        "a",
        ".",
        " ",
        "SIZE=",
        "BODY=8BITMIME",
        "SMTPUTF8",
        "NOTIFY=",
        "ORCPT=",
        "RET=",
        "ENVID=",
        "+",
        "=",
        "\r\n",
        "\n",
        "\0",
        "é",
        "\u{1b}",
    ]);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        proptest::collection::vec(token, 0..48).prop_map(|t| t.concat().into_bytes()),
    ]
}

proptest! {
    // Cases from PROPTEST_CASES (default 256); no regression files in the
    // source tree: a failure prints its minimal input, kept as a unit test.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reply_lines_never_panic_and_replies_stay_bounded(
        lines in proptest::collection::vec(line(), 1..200),
        enhanced in any::<bool>(),
    ) {
        let mut parser = ReplyParser::new(enhanced);
        for raw in &lines {
            match parser.push_line(raw) {
                Ok(Some(reply)) => {
                    prop_assert!((200..=599).contains(&reply.code));
                    prop_assert!(!reply.lines.is_empty());
                    prop_assert!(reply.lines.len() <= smtp::MAX_REPLY_LINES);
                    // Lossy decoding at most triples a byte (U+FFFD).
                    let input: usize = lines.iter().map(Vec::len).sum();
                    let kept: usize = reply.lines.iter().map(String::len).sum();
                    prop_assert!(kept <= 3 * input);
                    let _ = Capabilities::from_ehlo(&reply);
                    let _ = reply.to_wire();
                    parser = ReplyParser::new(enhanced);
                }
                Ok(None) => {}
                Err(_) => parser = ReplyParser::new(enhanced),
            }
        }
    }

    #[test]
    fn enhanced_codes_never_panic(text in "\\PC{0,64}|[2-5]\\.[0-9]{1,4}\\.[0-9]{1,4}.{0,8}") {
        if let Ok(code) = text.parse::<EnhancedCode>() {
            prop_assert!(code.to_string().len() <= text.len());
        }
        let _ = EnhancedCode::split_prefix(&text);
    }

    #[test]
    fn commands_never_panic_and_stay_bounded(raw in command()) {
        if let Ok(parsed) = Command::parse(&raw) {
            let debug = format!("{parsed:?}");
            prop_assert!(debug.len() <= 8 * raw.len() + 256);
        }
    }

    #[test]
    fn data_lines_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = smtp::data::decode_line(&raw);
        let encoded = smtp::data::encode(&raw);
        // Dot-stuffing and CRLF normalisation at most double the input,
        // plus the terminating sequence.
        prop_assert!(encoded.len() <= 2 * raw.len() + 8);
    }

    #[test]
    fn xtext_never_panics_and_never_grows(text in "[ -~]{0,512}|\\PC{0,256}") {
        if let Some(decoded) = smtp::xtext_decode(&text) {
            prop_assert!(decoded.len() <= text.len());
        }
    }
}
