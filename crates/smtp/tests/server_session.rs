//! The server session driven by a raw client: replies from the table for
//! bad input, sequencing, data handling and limits.

mod common;

use common::*;
use smtp::{Decision, Reply, ReplyParser, SessionEnd, replies};
use tokio::net::TcpStream;

#[tokio::test]
async fn server_answers_malformed_commands_from_table() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, greeting) = Raw::connect(&server).await;
    assert_eq!(greeting.code, 220);
    assert!(greeting.text().starts_with(MX));
    assert_eq!(raw.command("FROB").await, replies::SYNTAX_ERROR.reply());
    assert_eq!(
        raw.command("MAIL FROM:nobrackets").await,
        replies::ARGUMENT_ERROR.reply()
    );
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example>").await,
        replies::BAD_SEQUENCE.reply()
    );
    let long = format!("NOOP {}", "x".repeat(600));
    assert_eq!(raw.command(&long).await, replies::LINE_TOO_LONG.reply());
    let ehlo = raw.command("EHLO client.example").await;
    assert_eq!(ehlo.code, 250);
    assert!(ehlo.lines.iter().any(|l| l == "PIPELINING"));
    assert_eq!(
        raw.command("RCPT TO:<a@b.example>").await,
        replies::BAD_SEQUENCE.reply()
    );
    assert_eq!(raw.command("DATA").await, replies::BAD_SEQUENCE.reply());
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> FOO=1").await,
        replies::PARAMETER_NOT_IMPLEMENTED.reply()
    );
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> SIZE=x").await,
        replies::ARGUMENT_ERROR.reply()
    );
    assert_eq!(
        raw.command("VRFY someone").await,
        replies::NOT_IMPLEMENTED.reply()
    );
    assert_eq!(
        raw.command("STARTTLS").await,
        replies::NOT_IMPLEMENTED.reply()
    );
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example>").await,
        replies::SENDER_OK.reply()
    );
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example>").await,
        replies::BAD_SEQUENCE.reply()
    );
    assert_eq!(
        raw.command("DATA").await,
        replies::NO_VALID_RECIPIENTS.reply()
    );
    assert_eq!(
        raw.command("RCPT TO:<>").await,
        replies::ARGUMENT_ERROR.reply()
    );
    assert_eq!(raw.command("NOOP").await, replies::OK.reply());
    let bye = raw.command("QUIT").await;
    assert_eq!(bye.code, 221);
    assert_eq!(server.task.await.unwrap().unwrap(), SessionEnd::Quit);
    assert!(server.seen.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn server_refuses_bare_lf_and_never_takes_it_as_end_of_data() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    assert_eq!(raw.command("DATA").await.code, 354);
    // RFC 5321 §2.3.8; the `\n.\n` smuggling pattern, then a real end.
    raw.send(b"Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@b.example>\r\n..dot\r\n.\r\n")
        .await;
    assert_eq!(raw.reply().await, replies::BARE_LINE_END.reply());
    // A bare CR is refused too, and the session stays usable.
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.command("DATA").await;
    raw.send(b"a\r.\rb\r\n.\r\n").await;
    assert_eq!(raw.reply().await, replies::BARE_LINE_END.reply());
    // Dot-stuffed lines are unstuffed in a clean message.
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.command("DATA").await;
    raw.send(b"Subject: y\r\n\r\n..dot\r\n...\r\n.\r\n").await;
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    assert_eq!(raw.command("QUIT").await.code, 221);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.mails.len(), 3, "smuggled MAIL was taken as a command");
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(seen.messages[0].data, b"Subject: y\r\n\r\n.dot\r\n..\r\n");
}

#[tokio::test]
async fn server_refuses_oversized_message_and_goes_on() {
    let mut config = server_config();
    config.limits.message_size = 16;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> SIZE=17").await,
        replies::MESSAGE_TOO_BIG.reply()
    );
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.command("DATA").await;
    raw.send(b"0123456789\r\n0123456789\r\n.\r\n").await;
    assert_eq!(raw.reply().await, replies::MESSAGE_TOO_BIG.reply());
    // The transaction is over; a new one may start.
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example>").await,
        replies::SENDER_OK.reply()
    );
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn server_refuses_data_line_too_long() {
    let mut config = server_config();
    config.limits.data_line = 100;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.command("DATA").await;
    raw.send(format!("{}\r\nshort\r\n.\r\n", "y".repeat(200)).as_bytes())
        .await;
    assert_eq!(raw.reply().await, replies::DATA_LINE_TOO_LONG.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn server_refusing_greeting_waits_for_quit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    struct Refuse;
    impl smtp::Handler for Refuse {
        async fn connected(&mut self, _client: std::net::SocketAddr) -> Decision {
            Decision::Reply(Reply::new(554, None, "no service"))
        }
    }
    let task = tokio::spawn(async move {
        let (stream, client) = listener.accept().await.unwrap();
        smtp::serve(stream, client, &server_config(), &mut Refuse).await
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut raw = Raw::over(stream);
    assert_eq!(raw.reply().await.code, 554);
    assert_eq!(
        raw.command("EHLO client.example").await,
        replies::BAD_SEQUENCE.reply()
    );
    assert_eq!(raw.command("QUIT").await.code, 221);
    assert_eq!(task.await.unwrap().unwrap(), SessionEnd::Quit);
}
