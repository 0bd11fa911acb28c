//! Mail transactions: pipelining, lockstep, per-recipient results, RSET,
//! dot-stuffing, MAIL parameters.

mod common;

use common::*;
use smtp::{
    Capabilities, Client, Decision, DsnNotify, EnhancedCode, Error, RecipientStatus, Reply, Stage,
};

const MESSAGE: &[u8] = b"Subject: hi\r\n\r\nhello\r\n";

#[tokio::test]
async fn pipelining_sends_envelope_in_one_batch() {
    // The script reads MAIL, both RCPTs and DATA before it answers any of
    // them: a client that waited for the MAIL reply would time out.
    let (addr, task) = spawn_script(vec![
        send("220 mx ESMTP\r\n"),
        Step::Read(1),
        send("250-mx\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"),
        Step::Read(4),
        send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n354 go\r\n"),
        Step::Read(4),
        send("250 2.0.0 queued\r\n"),
        Step::Read(1),
        send("221 2.0.0 bye\r\n"),
    ])
    .await;
    let mut client = Client::connect(addr, options_ms(2000)).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let result = client
        .send(&envelope(&["a@dest.example", "b@dest.example"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    assert!(result.pipelined);
    assert_eq!(result.recipients[0].status, RecipientStatus::Accepted);
    assert_eq!(result.recipients[0].reply.code, 250);
    assert_eq!(
        result.recipients[1].status,
        RecipientStatus::PermanentFailure
    );
    assert_eq!(
        result.recipients[1].reply.enhanced,
        Some(EnhancedCode::BAD_MAILBOX)
    );
    assert_eq!(result.data.as_ref().map(|r| r.code), Some(250));
    let lines = task.await.unwrap();
    assert_eq!(
        lines,
        vec![
            "EHLO client.example",
            "MAIL FROM:<sender@origin.example>",
            "RCPT TO:<a@dest.example>",
            "RCPT TO:<b@dest.example>",
            "DATA",
            "Subject: hi",
            "",
            "hello",
            ".",
            "QUIT",
        ]
    );
}

#[tokio::test]
async fn lockstep_without_pipelining_and_no_data_when_no_recipient_accepted() {
    let mut config = server_config();
    config.capabilities.pipelining = false;
    let mut script = Script::default();
    script.rcpt.insert(
        "a@dest.example".into(),
        Decision::Reply(Reply::new(550, Some(EnhancedCode::BAD_MAILBOX), "no")),
    );
    let server = spawn_server(config, script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let result = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    assert!(!result.pipelined);
    assert_eq!(result.data, None);
    assert_eq!(
        result.recipients[0].status,
        RecipientStatus::PermanentFailure
    );
    let stages: Vec<Stage> = client.record().commands.iter().map(|c| c.stage).collect();
    assert_eq!(
        stages,
        vec![Stage::Ehlo, Stage::Mail, Stage::Rcpt, Stage::Quit]
    );
    server.task.await.unwrap().unwrap();
    assert_eq!(server.seen.lock().unwrap().data_commands, 0);
}

#[tokio::test]
async fn rcpt_partial_failure_results() {
    let mut script = Script::default();
    script.rcpt.insert(
        "gone@dest.example".into(),
        Decision::Reply(Reply::new(
            550,
            Some(EnhancedCode::BAD_MAILBOX),
            "no such user",
        )),
    );
    script.rcpt.insert(
        "full@dest.example".into(),
        Decision::Reply(Reply::new(452, None, "mailbox full")),
    );
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let env = envelope(&["ok@dest.example", "gone@dest.example", "full@dest.example"]);
    let result = client.send(&env, MESSAGE).await.unwrap();
    client.quit().await.unwrap();
    let statuses: Vec<_> = result.recipients.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![
            RecipientStatus::Accepted,
            RecipientStatus::PermanentFailure,
            RecipientStatus::TemporaryFailure,
        ]
    );
    assert_eq!(result.recipients[1].reply.text(), "no such user");
    assert_eq!(result.recipients[2].reply.code, 452);
    assert_eq!(result.accepted().count(), 1);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(
        seen.messages[0].recipient_addresses(),
        vec!["ok@dest.example"]
    );
}

#[tokio::test]
async fn rset_between_transactions() {
    let mut script = Script::default();
    script.rcpt.insert(
        "refused@dest.example".into(),
        Decision::Reply(Reply::new(550, None, "no")),
    );
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let first = client
        .send(&envelope(&["refused@dest.example"]), MESSAGE)
        .await
        .unwrap();
    assert_eq!(first.data, None);
    let second = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap();
    let third = client
        .send(&envelope(&["b@dest.example"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    assert!(second.data.as_ref().is_some_and(Reply::is_positive));
    assert!(third.data.as_ref().is_some_and(Reply::is_positive));
    let commands: Vec<String> = client
        .record()
        .commands
        .iter()
        .map(|c| c.command.split(' ').next().unwrap_or("").to_owned())
        .collect();
    // RSET only after the transaction that did not reach the final dot.
    let data = format!("<{}", MESSAGE.len());
    let expected = [
        "EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", &data, "MAIL", "RCPT",
        "DATA", &data, "QUIT",
    ];
    assert_eq!(commands, expected);
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 2);
    assert_eq!(
        seen.messages[1].recipient_addresses(),
        vec!["b@dest.example"]
    );
}

#[tokio::test]
async fn dot_stuffing_roundtrip() {
    let server = spawn_server(server_config(), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let message = b"Subject: dots\n\n.leading dot\n..two dots\n.\nbare lf\r\nlast line no eol";
    client
        .send(&envelope(&["a@dest.example"]), message)
        .await
        .unwrap();
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(
        seen.messages[0].data,
        b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nbare lf\r\nlast line no eol\r\n"
            .to_vec()
    );
}

#[tokio::test]
async fn mail_refused_is_error_with_reply() {
    let script = Script {
        mail: Some(Decision::Reply(Reply::new(
            550,
            Some(EnhancedCode::new(smtp::Class::Permanent, 7, 1)),
            "sender blocked",
        ))),
        ..Script::default()
    };
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert_eq!(err.stage(), Stage::Mail);
    assert!(!err.is_temporary());
    assert_eq!(err.reply().map(|r| r.text()), Some("sender blocked".into()));
    assert!(client.is_usable());
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    assert_eq!(server.seen.lock().unwrap().data_commands, 0);
}

#[tokio::test]
async fn refused_message_fails_every_accepted_recipient() {
    let script = Script {
        message: Some(Decision::Reply(Reply::new(
            451,
            Some(EnhancedCode::SYSTEM_TEMPORARY),
            "try later",
        ))),
        ..Script::default()
    };
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let result = client
        .send(&envelope(&["a@dest.example", "b@dest.example"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    for recipient in &result.recipients {
        assert_eq!(recipient.status, RecipientStatus::TemporaryFailure);
        assert_eq!(recipient.reply.code, 451);
        assert_eq!(
            recipient.reply.enhanced,
            Some(EnhancedCode::SYSTEM_TEMPORARY)
        );
    }
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn mail_parameters_sent_when_offered() {
    let mut config = server_config();
    config.capabilities = Capabilities {
        size: Some(1_000_000),
        eight_bit_mime: true,
        smtputf8: true,
        dsn: true,
        ..Capabilities::default()
    };
    let server = spawn_server(config, Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let mut env = envelope(&["j\u{f6}rg@dest.example"]);
    env.options.smtputf8 = true;
    env.options.envelope_id = Some("id+1".into());
    env.recipients[0].notify = Some(DsnNotify {
        success: false,
        failure: true,
        delay: false,
    });
    let message = "Subject: caf\u{e9}\r\n\r\nbody\r\n".as_bytes();
    client.send(&env, message).await.unwrap();
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(
        seen.mails[0].1,
        vec![
            format!("SIZE={}", message.len()),
            "BODY=8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENVID=id+2B1".into(),
        ]
    );
    assert_eq!(seen.rcpts[0].1, vec!["NOTIFY=FAILURE"]);
    assert_eq!(
        seen.messages[0].recipient_addresses(),
        vec!["j\u{f6}rg@dest.example"]
    );
}

#[tokio::test]
async fn message_over_size_limit_is_refused_before_mail() {
    let mut config = server_config();
    config.limits.message_size = 10;
    let server = spawn_server(config, Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 10, .. }), "{err}");
    assert!(!err.is_temporary());
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().mails.is_empty());
}

#[tokio::test]
async fn smtputf8_needed_but_not_offered_is_permanent() {
    let mut config = server_config();
    config.capabilities.smtputf8 = false;
    let server = spawn_server(config, Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let mut env = envelope(&["j\u{f6}rg@dest.example"]);
    env.options.smtputf8 = true;
    let err = client.send(&env, MESSAGE).await.unwrap_err();
    assert!(matches!(err, Error::NotOffered { .. }), "{err}");
    assert!(!err.is_temporary());
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
}
