//! The gateway answers as its OpenAPI document says: schemathesis generates
//! requests from `/openapi.json` (valid and invalid bodies, parameters and
//! headers, no token and a token) against a running gateway and checks
//! every answer: its status is documented, its body matches the documented
//! schema, its headers and content type too, a schema-valid request is not
//! refused for its shape, an invalid one is, and nothing is a 5xx.
//!
//! schemathesis is installed by `infra/schemathesis.sh` (into a virtual
//! environment under the cache directory); the test runs the executable it
//! prints, or `AUTOBOOK_SCHEMATHESIS`. The run is bounded (examples per
//! operation, a fixed seed) and takes well under two minutes.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use autobook_tests::gateway::{spawn_gateway, token};

/// Test cases per operation and phase.
const MAX_EXAMPLES: &str = "40";
/// The whole run, at most.
const DEADLINE: Duration = Duration::from_secs(240);

/// The schemathesis executable: `AUTOBOOK_SCHEMATHESIS`, else the one
/// `infra/schemathesis.sh` installs (it installs it if missing).
fn schemathesis() -> PathBuf {
    if let Ok(path) = std::env::var("AUTOBOOK_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/schemathesis.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("infra/schemathesis.sh runs");
    assert!(
        output.status.success(),
        "infra/schemathesis.sh could not install schemathesis"
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_gateway_matches_its_openapi_document() {
    let executable = schemathesis();
    let system = spawn_gateway().await;
    let base = system.api().base;
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemathesis.toml");
    let report = tempfile_dir();
    let run = tokio::process::Command::new(&executable)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args([
            "--header",
            &format!("Authorization: Bearer {}", token("usr_contract")),
        ])
        .args(["--checks", "all"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", "2611"])
        .args(["--workers", "2"])
        // Nothing kept between runs (the cache is off in the settings too).
        .args(["--generation-database", "none"])
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(&report)
        .env("NO_COLOR", "1")
        // What it leaves behind (hypothesis's directory) goes with the report.
        .current_dir(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(DEADLINE, run)
        .await
        .expect("schemathesis finished in time")
        .expect("schemathesis ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let _ = std::fs::remove_dir_all(&report);
    assert!(
        output.status.success(),
        "schemathesis found answers the document does not describe:\n{stdout}\n{stderr}"
    );
    // It tested every operation, and a body the document gives as an
    // example was accepted.
    // (All but `GET /openapi.json`, the document itself.)
    let operations = autobook_gateway::routes::table().len() - 1;
    assert!(
        stdout.contains(&format!("Tested: {operations}")),
        "not every one of the {operations} operations was tested:\n{stdout}"
    );
    assert!(stdout.contains("Examples"), "{stdout}");
    system.teardown().await;
}

/// A fresh directory for the run's report.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("autobook-schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
