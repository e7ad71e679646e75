//! One module per subcommand.

pub mod migrate;
pub mod orchestrator;
pub mod sandbox;
pub mod schemas;
pub mod worker;

/// A broker/instance name: role, host and process id.
pub fn instance_name(role: &str, configured: Option<&str>) -> String {
    configured.map(str::to_owned).unwrap_or_else(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
        format!("{role}-{host}-{}", std::process::id())
    })
}
