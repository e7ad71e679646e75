//! The Resend-style email API: one call, `POST /emails`.

pub mod client;

pub use client::{EmailClient, OutgoingEmail};

#[cfg(test)]
mod tests;
