//! Logs on stderr, JSON or text, and the trace layer beside them.
//!
//! JSON lines carry, besides the event's own fields, the fields of the
//! current span (`span`) and of every span around it (`spans`). The spans
//! of handling and publishing a message hold its `saga_id`, `message_id`
//! and `trace_id`, so every line emitted meanwhile carries them. Logs
//! never hold personal data: the types that hold it print as
//! `<redacted>`. `RUST_LOG` sets the log filter; it does not filter the
//! exported spans ([`crate::traces`]).

use std::io::IsTerminal;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::log_settings::LogFormat;

/// A layer of the global subscriber.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the global subscriber: logs on stderr in `format` (`auto`:
/// text on a terminal, JSON otherwise), filtered by `RUST_LOG` or
/// `default_filter`, and the trace layer when spans are exported.
pub fn init(format: LogFormat, default_filter: &str, traces: Option<BoxedLayer>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let terminal = std::io::stderr().is_terminal();
    let mut layers = vec![log_layer(
        format.resolve(terminal),
        filter,
        terminal,
        std::io::stderr,
    )];
    layers.extend(traces);
    let _ = subscriber(layers).try_init();
}

/// The global subscriber over `layers`. A filter that lets everything
/// through sits on top of the per-layer filters: without one, with the
/// `log` bridge installed, a span can be judged by a stale per-layer
/// filter state and go missing from the logs and the exported traces
/// (tokio-rs/tracing#2519).
pub fn subscriber(layers: Vec<BoxedLayer>) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry()
        .with(layers)
        .with(tracing_subscriber::filter::dynamic_filter_fn(|_, _| true))
}

/// The log layer writing to `writer`; `colour` only for a terminal.
pub fn log_layer<W>(format: LogFormat, filter: EnvFilter, colour: bool, writer: W) -> BoxedLayer
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Json | LogFormat::Auto => layer
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => layer.with_ansi(colour).with_filter(filter).boxed(),
    }
}

#[cfg(test)]
mod tests;
