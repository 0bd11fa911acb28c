//! RFC 2920 on the server side: a batch sent in one write gets its replies
//! in order, a bad command in the middle gets its own error without
//! disturbing the rest.

mod common;

use common::*;
use smtp::replies;

#[tokio::test]
async fn pipelined_batch_with_a_bad_command_in_the_middle() {
    let server = spawn_server(server_config(), Script::default()).await;
    let (mut raw, _) = Raw::connect(&server).await;
    let ehlo = raw.command("EHLO client.example").await;
    assert!(ehlo.lines.iter().any(|l| l == "PIPELINING"));
    raw.send(
        b"MAIL FROM:<a@b.example>\r\n\
          RCPT TO:<one@d.example>\r\n\
          FROB the widget\r\n\
          RCPT TO:<two@d.example> NOTIFY=NEVER\r\n\
          RCPT TO:<three@d.example>\r\n\
          DATA\r\n",
    )
    .await;
    assert_eq!(raw.reply().await, replies::SENDER_OK.reply());
    assert_eq!(raw.reply().await, replies::RECIPIENT_OK.reply());
    assert_eq!(raw.reply().await, replies::SYNTAX_ERROR.reply());
    // DSN is not offered by default: the parameter is refused, alone.
    assert_eq!(
        raw.reply().await,
        replies::PARAMETER_NOT_IMPLEMENTED.reply()
    );
    assert_eq!(raw.reply().await, replies::RECIPIENT_OK.reply());
    assert_eq!(raw.reply().await.code, 354);
    raw.send(b"Subject: batch\r\n\r\nhello\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        .await;
    assert_eq!(raw.reply().await, replies::MESSAGE_ACCEPTED.reply());
    assert_eq!(raw.reply().await, replies::OK.reply());
    assert_eq!(raw.reply().await, replies::OK.reply());
    assert_eq!(raw.reply().await.code, 221);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(
        seen.messages[0].recipient_addresses(),
        ["one@d.example", "three@d.example"]
    );
    assert_eq!(seen.messages[0].data, b"Subject: batch\r\n\r\nhello\r\n");
}

#[tokio::test]
async fn pipelined_data_after_refused_recipients_gets_554() {
    let mut script = Script::default();
    script.rcpt.insert(
        "nobody@d.example".into(),
        smtp::Decision::Reply(replies::MAILBOX_UNAVAILABLE.reply()),
    );
    let server = spawn_server(server_config(), script).await;
    let (mut raw, _) = Raw::connect(&server).await;
    raw.command("EHLO client.example").await;
    raw.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@d.example>\r\nDATA\r\nNOOP\r\n")
        .await;
    assert_eq!(raw.reply().await, replies::SENDER_OK.reply());
    assert_eq!(raw.reply().await, replies::MAILBOX_UNAVAILABLE.reply());
    assert_eq!(raw.reply().await, replies::NO_VALID_RECIPIENTS.reply());
    assert_eq!(raw.reply().await, replies::OK.reply());
    raw.command("QUIT").await;
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().messages.is_empty());
}
