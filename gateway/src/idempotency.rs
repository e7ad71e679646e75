//! `Idempotency-Key`: a retry of a trip request under the same key finds
//! the trip the first attempt created instead of creating another. The key
//! is the client's (1 to 255 printable ASCII characters), scoped to the
//! user; the request's hash tells a true retry from a different request
//! under a reused key.

use axum::http::{HeaderMap, HeaderName, StatusCode};
use sha2::{Digest, Sha256};

use autobook_contracts::trip::TripRequest;

use super::error::ApiError;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The header's name as clients write it, for messages and documents.
pub const HEADER_NAME: &str = "Idempotency-Key";
pub const MAX_KEY_LEN: usize = 255;

/// The request's key, if it sent one.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = |message: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", message).on(HEADER_NAME)
    };
    if values.next().is_some() {
        return Err(invalid("send one Idempotency-Key, not several"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LEN {
        return Err(invalid("the key must be 1 to 255 characters"));
    }
    if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(invalid("the key must be printable ASCII characters"));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// A digest of the trip request as parsed (so that the same request sent
/// with other whitespace or field order hashes the same).
pub fn request_hash(trip: &TripRequest) -> String {
    let canonical = serde_json::to_vec(trip).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(HEADER, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn keys_are_optional_printable_and_bounded() {
        assert_eq!(key(&HeaderMap::new()).unwrap(), None);
        assert_eq!(
            key(&headers(&[b"retry-42 ok"])).unwrap().as_deref(),
            Some("retry-42 ok")
        );
        let long = vec![b'k'; 255];
        assert!(key(&headers(&[&long])).is_ok());
        let too_long = vec![b'k'; 256];
        for bad in [&b""[..], &too_long, "clé".as_bytes(), b"a\tb"] {
            let error = key(&headers(&[bad])).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("Idempotency-Key"));
        }
        assert!(key(&headers(&[b"a", b"b"])).is_err());
    }
}
