//! The options every role shares: the log format and the address of the
//! ops endpoint (`/health`, `/ready`, `/metrics`).

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log format: json (structured, for production), text, or auto: text
    /// when stderr is a terminal, json otherwise.
    #[arg(
        long,
        env = "AUTOBOOK_LOG_FORMAT",
        global = true,
        default_value = "auto"
    )]
    pub log_format: LogFormat,
    /// Serve /health, /ready and /metrics on this address (off when unset).
    #[arg(long, env = "AUTOBOOK_OPS_ADDR", global = true)]
    pub ops_addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    Json,
    Text,
}

impl LogFormat {
    /// The format to write: `Auto` becomes text on a terminal, else JSON.
    pub fn resolve(self, stderr_is_terminal: bool) -> LogFormat {
        match self {
            LogFormat::Auto if stderr_is_terminal => LogFormat::Text,
            LogFormat::Auto => LogFormat::Json,
            chosen => chosen,
        }
    }
}
