//! The console's pages through real HTTP against a daemon in the test
//! world: every page renders for a logged-in administrator, the
//! dashboard charts the hour's deliveries and failures from the store, the queue's
//! action forms work with their CSRF field, the troubleshooter explains a
//! DANE mismatch (4.7.323), and hostile headers, addresses and subjects in
//! a trace are shown as text, never as markup.

#[path = "../../server/tests/common/mod.rs"]
mod common;
mod http;

use http::Client;

const PASSWORD: &str = "correct horse battery staple";

async fn console() -> (common::World, admin::Console, Client) {
    let hash = server::users::hash(PASSWORD).unwrap();
    let extra = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\n\n\
         [[user]]\nname = \"ann\"\npassword_hash = \"{hash}\"\nadmin = true\n"
    );
    let world = common::world(&extra).await;
    let console = admin::Console::start(world.daemon.shared().clone())
        .await
        .unwrap()
        .unwrap();
    let mut client = Client::plain(console.address());
    assert_eq!(client.login("ann", PASSWORD).await.status, 200);
    (world, console, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_renders_and_the_queue_forms_act() {
    let (world, console, client) = console().await;
    let reply = common::submit(&world, "alice@sender.test", &["bob@dead.test"]).await;
    let id = common::queue_id(&reply);
    world.daemon.drain().await.unwrap();

    for path in [
        "/",
        "/queue",
        "/queue?state=deferred&destination=dead.test",
        "/trace",
        "/trace?q=bob@dead.test",
        "/route",
        "/check",
        "/reports",
        "/reports/dmarc",
        "/config",
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        assert!(page.text().contains("<main id=\"main\">"), "{path}");
        assert!(
            page.text().contains("name=\"csrf\""),
            "{path}: the logout form"
        );
    }
    let queue = client.get("/queue?state=deferred").await.text();
    assert!(queue.contains(&id), "{queue}");
    let dashboard = client.get("/").await.text();
    assert!(dashboard.contains("dead.test"), "{dashboard}");

    let message = client.get(&format!("/message/{id}")).await;
    assert_eq!(message.status, 200);
    let message = message.text();
    assert!(message.contains("attempt"), "{message}");
    assert!(message.contains("deferred"), "{message}");

    // The hold button of the queue page: a form with the CSRF field.
    let mut form = client.clone();
    form.csrf = None;
    let csrf = client.csrf.clone().unwrap();
    let held = form
        .post(
            "/queue/hold",
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}&id={id}").into_bytes(),
        )
        .await;
    assert_eq!(held.status, 303, "{}", held.text());
    let listing = client.get("/api/v1/queue?state=held").await.json();
    assert_eq!(listing["messages"][0]["id"], id.as_str());
    let refused = form
        .post(
            "/queue/drop",
            "application/x-www-form-urlencoded",
            format!("id={id}").into_bytes(),
        )
        .await;
    assert_eq!(refused.status, 403);
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_troubleshooter_explains_a_dane_mismatch() {
    let (_world, console, client) = console().await;
    let page = client
        .get("/route?destination=someone%40mismatch.test")
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains("4.7.323"), "{text}");
    assert!(text.contains("tlsa-invalid"), "{text}");
    let api = client
        .get("/api/v1/route/someone@mismatch.test")
        .await
        .json();
    assert_eq!(api["version"], 1);
    assert_eq!(api["verdict"]["outcome"], "defer");
    let check = client.get("/check?domain=dane.test").await;
    assert_eq!(check.status, 200);
    assert!(check.text().contains("dane.test"));
    let api = client.get("/api/v1/check/dane.test").await.json();
    assert_eq!(api["version"], 1);
    assert_eq!(api["domain"], "dane.test");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_values_in_a_trace_are_text_not_markup() {
    let (world, console, client) = console().await;
    let (mut talk, _) = common::Talk::connect(world.submission()).await;
    let ehlo = talk.send("EHLO <script>alert('ehlo')</script>").await;
    if !ehlo.starts_with("250") {
        talk.send("EHLO client.sender.test").await;
    }
    // Angle brackets cannot be in a path; quotes, apostrophes and
    // ampersands can.
    let hostile_rcpt = "o'neil&\"co\"@dead.test";
    let r = talk.send("MAIL FROM:<alice&'x@sender.test>").await;
    assert!(r.starts_with("250"), "{r}");
    let r = talk.send(&format!("RCPT TO:<{hostile_rcpt}>")).await;
    assert!(r.starts_with("250"), "{r}");
    assert!(talk.send("DATA").await.starts_with("354"));
    let reply = talk
        .send(
            "Subject: <script>alert(3)</script>\r\n\
             Message-ID: <\"><script>alert(4)</script>@sender.test>\r\n\r\nHi.\r\n.",
        )
        .await;
    assert!(reply.starts_with("250"), "{reply}");
    let id = common::queue_id(&reply);
    world.daemon.drain().await.unwrap();

    for path in [
        format!("/message/{id}"),
        "/queue".to_owned(),
        "/trace?sender=alice%26%27x%40sender.test".to_owned(),
    ] {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        let text = page.text();
        assert!(!text.contains("<script>"), "{path}: {text}");
        assert!(!text.contains("o'neil&\"co"), "{path}: {text}");
        assert!(
            text.contains("o&#x27;neil&amp;&quot;co&quot;@dead.test"),
            "{path}: {text}"
        );
    }
    let trace = client.get(&format!("/message/{id}")).await.text();
    assert!(
        trace.contains("(EHLO &lt;script&gt;alert(&#x27;ehlo&#x27;)&lt;&#x2f;script&gt;)"),
        "the EHLO name, escaped: {trace}"
    );
    console.stop().await;
}

/// The dashboard's hourly charts show the hour's DANE delivery and the
/// DANE failure of a deferred message, in words, in the table and drawn.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_charts_the_hours_deliveries_and_failures() {
    let (world, console, client) = console().await;
    common::submit(&world, "alice@sender.test", &["carol@dane.test"]).await;
    common::submit(&world, "alice@sender.test", &["dave@mismatch.test"]).await;
    world.daemon.drain().await.unwrap();
    let stats = client.get("/api/v1/stats/hourly").await.json();
    let failed = stats["hours"][23]["failed"]["tlsa-invalid"]
        .as_u64()
        .expect("a DANE failure this hour");

    let page = client.get("/").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("1 in all (DANE 1, MTA-STS 0, opportunistic TLS 0, plaintext 0)"),
        "{html}"
    );
    assert!(
        html.contains(&format!("{failed} in all (tlsa-invalid {failed})")),
        "{html}"
    );
    let millis = stats["hours"][23]["hour"].as_u64().unwrap();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis);
    let at = report::tlsrpt::datetime::format(at.into());
    let label = format!("{} {}", &at[..10], &at[11..16]);
    assert!(
        html.contains(&format!(
            "<tr><th scope=\"row\">{label}</th><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>"
        )),
        "the current hour's row: {html}"
    );
    assert!(
        html.contains(&format!("<title>{label}: DANE 1</title>")),
        "the bar: {html}"
    );
    assert!(!html.contains("<script"), "{html}");
    console.stop().await;
}
