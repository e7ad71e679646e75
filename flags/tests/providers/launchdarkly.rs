//! The LaunchDarkly provider on the SDK's `TestData` source (no network):
//! per-user targeting, the kill switch over everything, and the cases that
//! must fail closed (a missing flag, offline, never initialised).

use std::time::Duration;

use launchdarkly_server_sdk::{
    ConfigBuilder, NullEventProcessorBuilder, ServiceEndpointsBuilder, TestData,
};

use autobook_flags::launchdarkly::{FlagKeys, LaunchDarklyFlags};
use autobook_flags::{DenyReason, FlagDecision, FlagError, FlagSource};

fn started(data: &TestData) -> LaunchDarklyFlags {
    let config = ConfigBuilder::new("sdk-test")
        .data_source(data)
        .event_processor(&NullEventProcessorBuilder::new())
        .build()
        .unwrap();
    LaunchDarklyFlags::start(config, FlagKeys::default()).unwrap()
}

#[tokio::test]
async fn flags_decide_per_user_and_the_kill_switch_beats_targeting() {
    let keys = FlagKeys::default();
    let data = TestData::new();
    data.update(data.flag(&keys.kill_switch).variation_for_all(false));
    data.update(
        data.flag(&keys.pipeline)
            .variation_for_all(false)
            .variation_for_user("usr_vip", true),
    );
    let flags = started(&data);
    assert!(flags.wait_until_initialised(Duration::from_secs(5)).await);

    let vip = flags.evaluate("usr_vip").unwrap();
    let other = flags.evaluate("usr_other").unwrap();
    data.update(data.flag(&keys.kill_switch).variation_for_all(true));
    let vip_killed = flags.evaluate("usr_vip").unwrap();
    data.update(data.flag(&keys.kill_switch).variation_for_all(false));
    data.update(data.flag(&keys.pipeline).variation_for_all(true));
    let everyone = flags.evaluate("usr_other").unwrap();
    flags.close();

    assert_eq!(vip, FlagDecision::Allowed);
    assert_eq!(other, FlagDecision::Denied(DenyReason::PipelineDisabled));
    assert_eq!(vip_killed, FlagDecision::Denied(DenyReason::KillSwitch));
    assert_eq!(everyone, FlagDecision::Allowed);
}

#[tokio::test]
async fn a_flag_missing_from_launchdarkly_fails_closed() {
    let keys = FlagKeys::default();
    let data = TestData::new();
    data.update(data.flag(&keys.kill_switch).variation_for_all(false));
    let flags = started(&data);
    assert!(flags.wait_until_initialised(Duration::from_secs(5)).await);
    let evaluated = flags.evaluate("usr_1");
    let decided = flags.decide("usr_1");
    flags.close();

    match evaluated {
        Err(FlagError::Evaluation { flag, .. }) => assert_eq!(flag, keys.pipeline),
        other => panic!("{other:?}"),
    }
    assert_eq!(decided, FlagDecision::Denied(DenyReason::Unavailable));
}

#[tokio::test]
async fn an_offline_sdk_fails_closed() {
    let config = ConfigBuilder::new("sdk-test")
        .offline(true)
        .build()
        .unwrap();
    let flags = LaunchDarklyFlags::start(config, FlagKeys::default()).unwrap();
    let initialised = flags
        .wait_until_initialised(Duration::from_millis(100))
        .await;
    let evaluated = flags.evaluate("usr_1");
    flags.close();

    assert!(!initialised);
    assert!(
        matches!(evaluated, Err(FlagError::Offline)),
        "{evaluated:?}"
    );
}

#[tokio::test]
async fn an_sdk_that_cannot_reach_launchdarkly_fails_closed() {
    // Building the SDK's config builds its TLS client: the process needs
    // its crypto provider first (with both in the build, none is implied).
    autobook_flags::launchdarkly::install_crypto_provider();
    // Streaming from a local port where nothing listens: it never initialises.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let config = ConfigBuilder::new("sdk-test")
        .service_endpoints(
            ServiceEndpointsBuilder::new().relay_proxy(&format!("http://127.0.0.1:{closed}")),
        )
        .event_processor(&NullEventProcessorBuilder::new())
        .build()
        .unwrap();
    let flags = LaunchDarklyFlags::start(config, FlagKeys::default()).unwrap();
    let initialised = flags
        .wait_until_initialised(Duration::from_millis(500))
        .await;
    let evaluated = flags.evaluate("usr_1");
    let decided = flags.decide("usr_1");
    flags.close();

    assert!(!initialised);
    assert!(
        matches!(evaluated, Err(FlagError::NotInitialised)),
        "{evaluated:?}"
    );
    assert_eq!(decided, FlagDecision::Denied(DenyReason::Unavailable));
}
