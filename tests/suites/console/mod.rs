//! The operations console: its pages and rules over HTTP against real
//! PostgreSQL ([`http`], [`search`]), and an operator's and a viewer's work
//! in a real browser against a running system ([`browser`]).

mod browser;
mod demo;
mod http;
mod search;
