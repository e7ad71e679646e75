//! The flag providers against real services: the PostgreSQL reader and
//! changes on a fresh database (and through a TCP proxy that can be cut, to
//! take the database away), LaunchDarkly through the SDK's `TestData`
//! source (no network).

#![allow(clippy::unwrap_used)]

mod database;
mod launchdarkly;
mod postgres;
mod postgres_outage;
mod proxy;
