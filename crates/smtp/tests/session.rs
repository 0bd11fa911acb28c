//! The client session outside transactions: greeting and replies, EHLO and
//! HELO, timeouts, malformed and hostile servers, the session record.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use smtp::{
    Client, ClientOptions, Decision, EnhancedCode, Error, MalformedReply, Reply, Stage, Timeouts,
};
use tokio::net::TcpListener;

const MESSAGE: &[u8] = b"Subject: x\r\n\r\nbody\r\n";

#[tokio::test]
async fn multiline_reply_parsing() {
    let (addr, task) = spawn_script(vec![
        send("220-mx.test.example ESMTP\r\n220-second line\r\n220 last\r\n"),
        Step::Read(1),
        send("250-mx greets\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 1000\r\n"),
        Step::Read(1),
        send("250 2.1.0 ok\r\n"),
        Step::Read(1),
        send("550-5.7.1 first line of refusal\r\n550-5.7.1 second line\r\n550 5.7.1 see https://help\r\n"),
        Step::Read(1),
        send("221 2.0.0 bye\r\n"),
    ])
    .await;
    let mut client = Client::connect(addr, options()).await.unwrap();
    let greeting = client.record().greeting.clone().unwrap();
    assert_eq!(greeting.code, 220);
    assert_eq!(
        greeting.lines,
        vec!["mx.test.example ESMTP", "second line", "last"]
    );
    let caps = client.ehlo("client.example").await.unwrap();
    assert!(caps.enhanced_status_codes);
    assert_eq!(caps.size, Some(1000));
    // Not pipelined: the script answers MAIL and RCPT at once anyway.
    let result = client.send(&envelope(&["a@dest.example"]), MESSAGE).await;
    let result = result.unwrap();
    let refusal = &result.recipients[0].reply;
    assert_eq!(refusal.code, 550);
    assert_eq!(
        refusal.enhanced,
        Some(EnhancedCode::new(smtp::Class::Permanent, 7, 1))
    );
    assert_eq!(
        refusal.lines,
        vec!["first line of refusal", "second line", "see https://help"]
    );
    assert_eq!(
        refusal.to_string(),
        "550 5.7.1 first line of refusal second line see https://help"
    );
    client.quit().await.unwrap();
    task.await.unwrap();
}

/// Recognises the expected kind of malformation.
type Expected = fn(&MalformedReply) -> bool;

/// Each case is a greeting that breaks RFC 5321 §4.2, and the error kind.
#[tokio::test]
async fn malformed_reply_is_error_not_panic() {
    let long = format!("220 {}\r\n", "x".repeat(600));
    let cases: Vec<(String, Expected)> = vec![
        ("hello there\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
        ("2x0 hi\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
        ("620 six hundred\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
        ("22\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
        ("\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
        ("220_mx\r\n".into(), |k| {
            matches!(k, MalformedReply::BadSeparator { .. })
        }),
        ("220-mx\r\n250 other code\r\n".into(), |k| {
            matches!(
                k,
                MalformedReply::MixedCodes {
                    first: 220,
                    then: 250
                }
            )
        }),
        (long, |k| {
            matches!(k, MalformedReply::LineTooLong { limit: 512 })
        }),
        ("220-a\r\n".repeat(200), |k| {
            matches!(k, MalformedReply::TooManyLines)
        }),
        ("\u{0}\u{ff}\u{fe}garbage\r\n".into(), |k| {
            matches!(k, MalformedReply::BadCode { .. })
        }),
    ];
    for (greeting, expected) in cases {
        let (addr, task) = spawn_script(vec![send(&greeting)]).await;
        let err = match Client::connect(addr, options()).await {
            Ok(_) => panic!("accepted malformed greeting {greeting:?}"),
            Err(err) => err,
        };
        match &err {
            Error::Malformed { stage, kind } => {
                assert_eq!(*stage, Stage::Greeting);
                assert!(expected(kind), "{greeting:?}: {kind:?}");
            }
            other => panic!("{greeting:?}: {other}"),
        }
        assert!(err.is_temporary());
        task.abort();
    }
}

#[tokio::test]
async fn longer_reply_lines_allowed_when_configured() {
    let long = format!("220 {}\r\n", "x".repeat(600));
    let (addr, task) = spawn_script(vec![send(&long)]).await;
    let options = ClientOptions {
        max_reply_line: 1024,
        ..options()
    };
    let client = Client::connect(addr, options).await.unwrap();
    assert_eq!(client.record().greeting.as_ref().map(|g| g.code), Some(220));
    drop(client);
    task.await.unwrap();
}

#[tokio::test]
async fn helo_fallback_when_ehlo_refused() {
    let script = Script {
        refuse_ehlo: Some(Reply::new(502, None, "EHLO not here")),
        ..Script::default()
    };
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    let caps = client.ehlo("client.example").await.unwrap();
    assert!(!caps.pipelining && !caps.starttls);
    assert!(client.record().used_helo);
    let result = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap();
    assert!(!result.pipelined);
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(
        seen.hellos,
        vec![
            ("client.example".to_owned(), true),
            ("client.example".to_owned(), false)
        ]
    );
    assert_eq!(seen.messages.len(), 1);
}

#[tokio::test]
async fn temporary_ehlo_refusal_does_not_fall_back() {
    let script = Script {
        refuse_ehlo: Some(Reply::new(451, None, "later")),
        ..Script::default()
    };
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    let err = client.ehlo("client.example").await.unwrap_err();
    assert_eq!(err.stage(), Stage::Ehlo);
    assert!(err.is_temporary());
    assert_eq!(err.reply().map(|r| r.code), Some(451));
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    assert_eq!(server.seen.lock().unwrap().hellos.len(), 1);
}

#[tokio::test]
async fn timeout_on_silent_server_is_temporary() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stream);
    });
    let started = std::time::Instant::now();
    let err = match Client::connect(addr, options_ms(200)).await {
        Ok(_) => panic!("a silent server produced a session"),
        Err(err) => err,
    };
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(err.reply().is_none());
    held.abort();
}

#[tokio::test]
async fn slow_rcpt_reply_times_out_at_rcpt() {
    let mut script = Script::default();
    script.rcpt.insert(
        "slow@dest.example".into(),
        Decision::Delay(Duration::from_secs(3), Box::new(Decision::Accept)),
    );
    let server = spawn_server(server_config(), script).await;
    let mut timeouts = Timeouts::uniform(Duration::from_secs(10));
    timeouts.rcpt = Duration::from_millis(200);
    let options = ClientOptions {
        timeouts,
        ..ClientOptions::default()
    };
    let mut client = Client::connect(server.addr, options).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["slow@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Rcpt,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(!client.is_usable());
    let last = client.record().commands.last().unwrap();
    assert_eq!(last.command, "RCPT TO:<slow@dest.example>");
    assert_eq!(last.reply, None);
    server.task.abort();
}

#[tokio::test]
async fn no_reply_to_final_dot_times_out_at_data_end() {
    let (addr, task) = spawn_script(vec![
        send("220 mx\r\n"),
        Step::Read(1),
        send("250 mx\r\n"),
        Step::Read(1),
        send("250 ok\r\n"),
        Step::Read(1),
        send("250 ok\r\n"),
        Step::Read(1),
        send("354 go\r\n"),
        Step::Read(4),
    ])
    .await;
    let mut client = Client::connect(addr, options_ms(300)).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::DataEnd,
                ..
            }
        ),
        "{err}"
    );
    drop(client);
    let lines = task.await.unwrap();
    assert_eq!(lines.last().map(String::as_str), Some("."));
}

#[tokio::test]
async fn dropped_connection_is_temporary_and_closed() {
    let script = Script {
        mail: Some(Decision::Drop),
        ..Script::default()
    };
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Closed { stage: Stage::Mail } | Error::Io { .. }),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(!client.is_usable());
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn service_closing_421_makes_session_unusable() {
    let mut script = Script::default();
    script.rcpt.insert(
        "a@dest.example".into(),
        Decision::Reply(Reply::new(
            421,
            Some(EnhancedCode::SYSTEM_NOT_ACCEPTING),
            "closing",
        )),
    );
    let server = spawn_server(server_config(), script).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    let err = client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap_err();
    assert_eq!(err.stage(), Stage::Rcpt);
    assert_eq!(err.reply().map(|r| r.code), Some(421));
    assert!(err.is_temporary());
    assert!(!client.is_usable());
    assert!(matches!(
        client.quit().await,
        Err(Error::Unusable {
            failed: Stage::Rcpt,
            ..
        })
    ));
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn greeting_554_is_permanent_rejection() {
    let (addr, task) = spawn_script(vec![send("554 5.7.1 go away\r\n")]).await;
    let err = match Client::connect(addr, options()).await {
        Ok(_) => panic!("554 greeting produced a session"),
        Err(err) => err,
    };
    assert_eq!(err.stage(), Stage::Greeting);
    assert!(!err.is_temporary());
    assert_eq!(err.reply().map(|r| r.code), Some(554));
    task.abort();
}

#[tokio::test]
async fn connect_from_source_address() {
    let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = tokio::spawn(async move {
        let (stream, peer) = listener.accept().await.unwrap();
        let mut config = server_config();
        config.hostname = "mx".into();
        let result = smtp::serve(
            stream,
            peer,
            &config,
            &mut Recorder {
                script: Script::default(),
                seen: Default::default(),
            },
        )
        .await;
        (peer, result)
    });
    let options = ClientOptions {
        source: Some(source),
        ..options()
    };
    let mut client = Client::connect(addr, options).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    client.quit().await.unwrap();
    let (peer, result) = accepted.await.unwrap();
    result.unwrap();
    assert_eq!(peer.ip(), source);
    assert_eq!(client.record().local.map(|l| l.ip()), Some(source));
}

#[tokio::test]
async fn connect_refused_is_temporary_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = match Client::connect(addr, options()).await {
        Ok(_) => panic!("connected to a closed port"),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert_eq!(err.stage(), Stage::Connect);
    assert!(err.is_temporary());
}

#[tokio::test]
async fn session_record_serialises_for_trace() {
    let server = spawn_server(server_config(), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    client.ehlo("client.example").await.unwrap();
    client
        .send(&envelope(&["a@dest.example"]), MESSAGE)
        .await
        .unwrap();
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    let record = client.into_record();
    assert_eq!(record.remote, server.addr);
    assert_eq!(record.ehlo_name.as_deref(), Some("client.example"));
    assert!(record.capabilities.as_ref().is_some_and(|c| c.pipelining));
    assert!(!record.starttls);
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(
        json["commands"][1]["command"],
        "MAIL FROM:<sender@origin.example> SIZE=20"
    );
    assert_eq!(json["commands"][1]["reply"]["code"], 250);
    assert_eq!(json["commands"][1]["reply"]["enhanced"], "2.1.0");
    assert_eq!(json["commands"][1]["stage"], "Mail");
    let back: smtp::SessionRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);
}

#[tokio::test]
async fn invalid_ehlo_name_is_refused_locally() {
    let server = spawn_server(server_config(), Script::default()).await;
    let mut client = Client::connect(server.addr, options()).await.unwrap();
    let err = client.ehlo("bad name\r\nMAIL").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert!(client.is_usable());
    client.quit().await.unwrap();
    server.task.await.unwrap().unwrap();
    assert!(server.seen.lock().unwrap().hellos.is_empty());
}
