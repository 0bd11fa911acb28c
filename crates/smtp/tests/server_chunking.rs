//! CHUNKING/BDAT on the server side (RFC 3030): chunks joined, `BDAT LAST`
//! and `BDAT 0 LAST`, chunk octets never read as commands, DATA refused in a
//! BDAT transaction, the size limit over chunks.

mod common;

use common::*;
use smtp::replies;

fn chunk_ok(size: usize) -> smtp::Reply {
    replies::CHUNK_RECEIVED.reply_after(&size.to_string())
}

#[tokio::test]
async fn bdat_chunks_then_last() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    let ehlo = raw.command("EHLO client.example").await;
    assert!(ehlo.lines.iter().any(|l| l == "CHUNKING"));
    // Envelope and all chunks in one write; a chunk holding what looks like
    // commands and a lone dot line.
    raw.send(
        b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n\
          BDAT 12\r\nSubject: x\r\n\
          BDAT 16\r\n\r\n.\r\nQUIT\r\nRSET\r\n\
          BDAT 3 LAST\r\nend",
    )
    .await;
    assert_eq!(raw.reply().await, replies::SENDER_OK.reply());
    assert_eq!(raw.reply().await, replies::RECIPIENT_OK.reply());
    assert_eq!(raw.reply().await, chunk_ok(12));
    assert_eq!(raw.reply().await, chunk_ok(16));
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    // BDAT 0 LAST ends a message whose last chunk was not marked.
    raw.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 4\r\nbody")
        .await;
    raw.reply().await;
    raw.reply().await;
    assert_eq!(raw.reply().await, chunk_ok(4));
    assert_eq!(
        raw.command("BDAT 0 LAST").await,
        replies::MESSAGE_ACCEPTED.reply()
    );
    assert_eq!(raw.command("QUIT").await.code, 221);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 2);
    assert_eq!(
        seen.messages[0].data,
        b"Subject: x\r\n\r\n.\r\nQUIT\r\nRSET\r\nend"
    );
    assert_eq!(seen.messages[1].data, b"body");
}

#[tokio::test]
async fn bdat_without_transaction_is_consumed_and_refused() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    // The chunk's octets are read even though BDAT is refused: the QUIT
    // inside must not end the session.
    raw.send(b"BDAT 6 LAST\r\nQUIT\r\n").await;
    assert_eq!(raw.reply().await, replies::BAD_SEQUENCE.reply());
    raw.send(b"MAIL FROM:<a@b.example>\r\nBDAT 6\r\nQUIT\r\n")
        .await;
    assert_eq!(raw.reply().await, replies::SENDER_OK.reply());
    assert_eq!(raw.reply().await, replies::NO_VALID_RECIPIENTS.reply());
    assert_eq!(raw.command("NOOP").await, replies::OK.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().messages.is_empty());
}

#[tokio::test]
async fn data_in_a_bdat_transaction_is_refused() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.command("MAIL FROM:<a@b.example>").await;
    raw.command("RCPT TO:<c@d.example>").await;
    raw.send(b"BDAT 3\r\nabc").await;
    assert_eq!(raw.reply().await, chunk_ok(3));
    assert_eq!(raw.command("DATA").await, replies::BAD_SEQUENCE.reply());
    // The transaction goes on with BDAT.
    raw.send(b"BDAT 3 LAST\r\ndef").await;
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert_eq!(server.seen.lock().unwrap().messages[0].data, b"abcdef");
}

#[tokio::test]
async fn bdat_over_the_size_limit_gets_552_and_later_chunks_503() {
    let mut config = server_config();
    config.limits.message_size = 10;
    let server = spawn_server(config, Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.send(
        b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n\
          BDAT 6\r\n012345BDAT 6\r\n678901BDAT 2 LAST\r\nxy",
    )
    .await;
    raw.reply().await;
    raw.reply().await;
    assert_eq!(raw.reply().await, chunk_ok(6));
    assert_eq!(raw.reply().await, replies::MESSAGE_TOO_BIG.reply());
    assert_eq!(raw.reply().await, replies::BAD_SEQUENCE.reply());
    assert_eq!(raw.command("RSET").await, replies::OK.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().messages.is_empty());
}
