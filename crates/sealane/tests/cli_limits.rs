//! `sealane limits list` and `release` on a store where the server
//! blocked a user for going over a sending limit.

use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use queue::{SendingLimits, SendingRequest, SendingVerdict, SqliteStore, Store, Subject};

mod support;
use support::{sealane, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_user_is_listed_and_released() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let store = SqliteStore::open(dir.path().join("queue.db"), clock).unwrap();
    let request = SendingRequest {
        subjects: vec![(
            Subject::user("alice"),
            SendingLimits {
                recipients_per_hour: 2,
                recipients_per_day: 10,
                messages_per_minute: 10,
            },
        )],
        recipients: 3,
    };
    assert!(matches!(
        store.count_sending(request).await.unwrap(),
        SendingVerdict::Blocked(_)
    ));
    drop(store);
    let data = dir.path().to_str().unwrap();

    let listed = stdout(&sealane(&["limits", "list", "--data-dir", data]));
    assert!(
        listed.contains("user")
            && listed.contains("alice")
            && listed.contains("recipients per hour 3 > 2"),
        "{listed}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&sealane(&[
        "limits",
        "list",
        "--json",
        "--data-dir",
        data,
    ])))
    .unwrap();
    assert_eq!(json[0]["subject"]["name"], "alice");
    assert_eq!(json[0]["limit"], "recipients-per-hour");

    let released = stdout(&sealane(&[
        "limits",
        "release",
        "alice",
        "--data-dir",
        data,
    ]));
    assert!(released.contains("alice released"), "{released}");
    let again = sealane(&["limits", "release", "alice", "--data-dir", data]);
    assert_eq!(again.status.code(), Some(2), "not blocked any more");
    let listed = stdout(&sealane(&["limits", "list", "--data-dir", data]));
    assert!(listed.contains("nobody is blocked"), "{listed}");
}
