//! Tests of the chaos run's children: slots, launching, keeping, stopping.

use super::*;

#[test]
fn two_of_every_role() {
    let slots = Slot::all(2, 2);
    assert_eq!(slots.len(), 10);
    assert_eq!(slots[0].name(), "orchestrator-0");
    assert_eq!(slots[0].args(), vec!["orchestrator"]);
    assert_eq!(slots[9].name(), "notify-1");
    assert_eq!(slots[9].args(), vec!["worker", "notify"]);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("autobook-chaos-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn launcher(exe: PathBuf, log_dir: PathBuf) -> Arc<Launcher> {
    Arc::new(Launcher {
        exe,
        env: Vec::new(),
        log_dir,
        epoch: Instant::now(),
    })
}

/// Waits (at most 10 s) until the keeper has recorded what `seen` wants.
async fn recorded(records: &SharedRecords, seen: impl FnMut(&Records) -> bool) {
    let mut watched = records.subscribe();
    tokio::time::timeout(Duration::from_secs(10), watched.wait_for(seen))
        .await
        .expect("the keeper records it in time")
        .expect("the records are still kept");
}

#[tokio::test]
async fn a_child_that_exits_on_its_own_is_counted_and_restarted() {
    let dir = temp_dir("self-exit");
    let records = new_records();
    let slot = Slot {
        role: "search",
        index: 0,
    };
    let keeper = keep(slot, launcher("false".into(), dir.clone()), records.clone());
    // `false` exits at once: wait until that has been seen twice (so it was restarted).
    recorded(&records, |r| r.self_exits.len() >= 2).await;
    keeper
        .orders
        .send(Order::Stop {
            grace: Duration::from_secs(5),
        })
        .expect("keeper alive");
    keeper.task.await.expect("keeper ends");
    let records = records.borrow();
    assert!(records.self_exits.len() >= 2, "{:?}", records.self_exits);
    assert_eq!(
        records.self_exits_by_role().get("search"),
        Some(&records.self_exits.len())
    );
    assert!(records.kills.is_empty());
    assert_eq!(records.stopped.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_killed_child_is_restarted_and_stopped_with_sigterm() {
    let dir = temp_dir("kill");
    let script = dir.join("sleeper.sh");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").expect("script");
    let chmod = Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    assert!(chmod.success());
    let records = new_records();
    let slot = Slot {
        role: "payment",
        index: 1,
    };
    let keeper = keep(slot.clone(), launcher(script, dir.clone()), records.clone());
    let mut running = keeper.running.clone();
    running.wait_for(|up| *up).await.expect("started");
    keeper
        .orders
        .send(Order::Kill {
            restart_after: Duration::from_millis(200),
        })
        .expect("keeper alive");
    // The kill is recorded after the child is marked down.
    recorded(&records, |r| !r.kills.is_empty()).await;
    running.wait_for(|up| *up).await.expect("restarted");
    keeper
        .orders
        .send(Order::Stop {
            grace: Duration::from_secs(5),
        })
        .expect("keeper alive");
    keeper.task.await.expect("keeper ends");
    let records = records.borrow();
    assert_eq!(records.kills.len(), 1);
    assert_eq!(records.kills[0].instance, "payment-1");
    assert!(records.self_exits.is_empty(), "{:?}", records.self_exits);
    assert_eq!(records.stopped.len(), 1);
    // `sleep` dies of the SIGTERM instead of draining: not graceful.
    assert!(!records.stopped[0].graceful);
    let log = std::fs::read_to_string(slot.log_file(&dir)).expect("log");
    let markers: Vec<String> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["chaos"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(markers, ["started", "killed", "started", "stopped"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_last_child_line_skips_markers() {
    let dir = std::env::temp_dir().join(format!("autobook-chaos-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("x.log");
    std::fs::write(
        &log,
        "{\"level\":\"ERROR\",\"msg\":\"gone\"}\n{\"chaos\":\"exited\"}\n",
    )
    .expect("write");
    assert_eq!(
        last_child_line(&log),
        "{\"level\":\"ERROR\",\"msg\":\"gone\"}"
    );
    assert_eq!(last_child_line(&dir.join("missing.log")), "");
    let _ = std::fs::remove_dir_all(&dir);
}
