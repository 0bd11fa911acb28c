//! The server session's limits: message size, recipients, errors, commands,
//! line length, idle time; and a lost connection hands nothing over.

mod common;

use std::time::Duration;

use common::*;
use smtp::{Error, SessionEnd, Stage, replies};

#[tokio::test]
async fn oversize_message_gets_552_on_size_parameter_and_on_data() {
    let mut config = server_config();
    config.limits.message_size = 100;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    let ehlo = raw.command("EHLO client.example").await;
    assert!(ehlo.lines.iter().any(|l| l == "SIZE 100"), "{ehlo:?}");
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> SIZE=101").await,
        replies::MESSAGE_TOO_BIG.reply()
    );
    // A SIZE= that lies is caught on the data.
    raw.command("MAIL FROM:<a@b.example> SIZE=10").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.command("DATA").await;
    let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "x".repeat(200));
    raw.send(big.as_bytes()).await;
    assert_eq!(raw.reply().await, replies::MESSAGE_TOO_BIG.reply());
    assert_eq!(
        raw.command("MAIL FROM:<a@b.example> SIZE=100").await,
        replies::SENDER_OK.reply()
    );
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn too_many_recipients_get_452() {
    let mut config = server_config();
    config.limits.recipients = 2;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    assert_eq!(raw.command("RCPT TO:<1@d.example>").await.code, 250);
    assert_eq!(raw.command("RCPT TO:<2@d.example>").await.code, 250);
    assert_eq!(
        raw.command("RCPT TO:<3@d.example>").await,
        replies::TOO_MANY_RECIPIENTS.reply()
    );
    raw.command("DATA").await;
    raw.send(b"x\r\n.\r\n").await;
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(
        seen.messages[0].recipient_addresses(),
        ["1@d.example", "2@d.example"]
    );
}

#[tokio::test]
async fn too_many_errors_get_421_and_close() {
    let mut config = server_config();
    config.limits.errors = 3;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.send(b"FROB\r\nFROB\r\nFROB\r\nNOOP\r\n").await;
    for _ in 0..3 {
        assert_eq!(raw.reply().await, replies::SYNTAX_ERROR.reply());
    }
    assert_eq!(raw.reply().await, replies::TOO_MANY_ERRORS.reply());
    assert!(raw.try_reply().await.is_none(), "the NOOP was answered");
    assert_eq!(
        server.task.await.unwrap().unwrap(),
        SessionEnd::TooManyErrors
    );
}

#[tokio::test]
async fn too_many_commands_get_421_and_close() {
    let mut config = server_config();
    config.limits.commands = 3;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.send(b"NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n").await;
    for _ in 0..3 {
        assert_eq!(raw.reply().await, replies::OK.reply());
    }
    assert_eq!(raw.reply().await, replies::TOO_MANY_COMMANDS.reply());
    assert!(raw.try_reply().await.is_none());
    assert_eq!(
        server.task.await.unwrap().unwrap(),
        SessionEnd::TooManyCommands
    );
}

#[tokio::test]
async fn command_line_too_long_gets_500_and_the_session_goes_on() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    // 512 octets with CRLF is the limit (RFC 5321 §4.5.3.1.4).
    let local = "a".repeat(512 - 2 - "MAIL FROM:<@b.example>".len());
    let at_limit = format!("MAIL FROM:<{local}@b.example>");
    assert_eq!(at_limit.len() + 2, 512);
    assert_eq!(raw.command(&at_limit).await, replies::SENDER_OK.reply());
    let over = format!("RCPT TO:<{}@d.example>", "c".repeat(600));
    assert_eq!(raw.command(&over).await, replies::LINE_TOO_LONG.reply());
    assert_eq!(raw.command("RCPT TO:<c@d.example>").await.code, 250);
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn idle_client_gets_421() {
    let mut config = server_config();
    config.limits.idle = Duration::from_millis(300);
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    assert_eq!(raw.reply().await, replies::TIMEOUT.reply());
    let err = server.task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Command,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn dropped_connection_mid_data_hands_nothing_over() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    assert_eq!(raw.command("DATA").await.code, 354);
    raw.send(b"Subject: half\r\n\r\nthe first half\r\n").await;
    drop(raw);
    let err = server.task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Closed {
                stage: Stage::DataBlock
            }
        ),
        "{err}"
    );
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.data_commands, 1);
    assert!(seen.messages.is_empty());
}

#[tokio::test]
async fn dropped_connection_mid_chunk_hands_nothing_over() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.send(b"BDAT 100 LAST\r\nonly forty octets of the hundred promised")
        .await;
    drop(raw);
    let err = server.task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Closed {
                stage: Stage::DataBlock
            }
        ),
        "{err}"
    );
    assert!(server.seen.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn refused_client_gets_421_from_the_listener() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        smtp::refuse(stream, &server_config(), replies::TOO_MANY_CONNECTIONS).await
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut raw = Raw::over(stream);
    assert_eq!(
        raw.reply().await,
        replies::TOO_MANY_CONNECTIONS.reply_after(MX)
    );
    assert!(raw.try_reply().await.is_none());
    task.await.unwrap().unwrap();
}
