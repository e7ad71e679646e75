use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;
use crate::config::JwtSecret;

const SECRET: &str = "unit-test-secret-of-at-least-32-bytes";
const RSA_PRIVATE: &str = include_str!("../../../tests/keys/gateway_rs256_private.pem");
const RSA_PUBLIC: &str = include_str!("../../../tests/keys/gateway_rs256_public.pem");
const OTHER_RSA_PRIVATE: &str = include_str!("../../../tests/keys/other_rs256_private.pem");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "exp": now() + 600})
}

fn hs256(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: &Value, private_pem: &str) -> String {
    encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn verifier(edit: impl FnOnce(&mut AuthConfig)) -> Verifier {
    let mut config = AuthConfig {
        hs256_secret: Some(JwtSecret::new(SECRET)),
        rs256_public_key_pem: Some(RSA_PUBLIC.to_owned()),
        ..AuthConfig::default()
    };
    edit(&mut config);
    Verifier::new(&config).unwrap()
}

fn check(verifier: &Verifier, token: &str) -> Result<UserId, AuthError> {
    let header = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    verifier.verify(Some(&header))
}

#[test]
fn hs256_and_rs256_tokens_name_their_user() {
    let v = verifier(|_| {});
    let user = check(&v, &hs256(&claims("usr_a"), SECRET)).unwrap();
    assert_eq!(user.as_str(), "usr_a");
    let user = check(&v, &rs256(&claims("usr_b"), RSA_PRIVATE)).unwrap();
    assert_eq!(user.as_str(), "usr_b");
}

#[test]
fn missing_and_malformed_headers_are_refused() {
    let v = verifier(|_| {});
    assert_eq!(v.verify(None), Err(AuthError::MissingToken));
    for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token"] {
        let header = HeaderValue::from_str(value).unwrap();
        assert_eq!(
            v.verify(Some(&header)),
            Err(AuthError::MissingToken),
            "{value}"
        );
    }
    assert_eq!(check(&v, "not.a.jwt"), Err(AuthError::Malformed));
    assert_eq!(check(&v, "abc"), Err(AuthError::Malformed));
}

#[test]
fn signatures_must_verify_with_the_configured_key() {
    let v = verifier(|_| {});
    assert_eq!(
        check(
            &v,
            &hs256(&claims("usr_a"), "another-secret-of-at-least-32-bytes!")
        ),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(&v, &rs256(&claims("usr_a"), OTHER_RSA_PRIVATE)),
        Err(AuthError::BadSignature)
    );
    // A token whose payload was changed after signing.
    let token = hs256(&claims("usr_a"), SECRET);
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = hs256(&claims("usr_admin"), SECRET);
    let forged_payload = forged.split('.').nth(1).unwrap();
    parts[1] = forged_payload;
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        token.split('.').nth(2).unwrap()
    );
    assert_eq!(check(&v, &tampered), Err(AuthError::BadSignature));
}

#[test]
fn only_configured_algorithms_are_accepted() {
    // RS256 only: an HS256 token (even one using the public key as its
    // secret, the confusion attack) is refused.
    let v = verifier(|c| c.hs256_secret = None);
    assert_eq!(
        check(&v, &hs256(&claims("usr_a"), RSA_PUBLIC)),
        Err(AuthError::UnsupportedAlgorithm)
    );
    let v = verifier(|c| c.rs256_public_key_pem = None);
    assert_eq!(
        check(&v, &rs256(&claims("usr_a"), RSA_PRIVATE)),
        Err(AuthError::UnsupportedAlgorithm)
    );
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &claims("usr_a"),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(check(&v, &hs512), Err(AuthError::UnsupportedAlgorithm));
    // alg "none": a header jsonwebtoken cannot even parse.
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims("usr_a").to_string())
    );
    assert_eq!(check(&v, &none), Err(AuthError::Malformed));
}

fn b64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn expiry_and_not_before_are_enforced() {
    let v = verifier(|_| {});
    let expired = json!({"sub": "usr_a", "exp": now() - 120});
    assert_eq!(check(&v, &hs256(&expired, SECRET)), Err(AuthError::Expired));
    let no_exp = json!({"sub": "usr_a"});
    assert_eq!(
        check(&v, &hs256(&no_exp, SECRET)),
        Err(AuthError::MissingExpiry)
    );
    let early = json!({"sub": "usr_a", "exp": now() + 600, "nbf": now() + 300});
    assert_eq!(
        check(&v, &hs256(&early, SECRET)),
        Err(AuthError::NotYetValid)
    );
    // Within the leeway an expired token still passes.
    let v = verifier(|c| c.leeway_secs = 300);
    assert!(check(&v, &hs256(&expired, SECRET)).is_ok());
}

#[test]
fn the_subject_must_be_a_user_id() {
    let v = verifier(|_| {});
    let none = json!({"exp": now() + 600});
    assert_eq!(
        check(&v, &hs256(&none, SECRET)),
        Err(AuthError::MissingSubject)
    );
    for sub in [json!("someone@example.com"), json!(""), json!(42)] {
        let c = json!({"sub": sub, "exp": now() + 600});
        assert_eq!(
            check(&v, &hs256(&c, SECRET)),
            Err(AuthError::InvalidSubject),
            "{sub}"
        );
    }
    // An erasure pseudonym is no traveller, whoever signed for it.
    for sub in [
        "erased:0123456789abcdef",
        "erased:0123456789abcdef0123456789abcdef",
    ] {
        let c = json!({"sub": sub, "exp": now() + 600});
        let refused = check(&v, &hs256(&c, SECRET)).unwrap_err();
        assert_eq!(refused, AuthError::PseudonymSubject, "{sub}");
        assert_eq!(refused.code(), "pseudonym_subject");
    }
    // A subject jsonwebtoken itself cannot read makes the token malformed.
    let c = json!({"sub": ["usr_a"], "exp": now() + 600});
    assert_eq!(check(&v, &hs256(&c, SECRET)), Err(AuthError::Malformed));
}

#[test]
fn issuer_and_audience_are_checked_when_configured() {
    let v = verifier(|c| {
        c.issuer = Some("https://id.example".into());
        c.audience = Some("autobook".into());
    });
    let good =
        json!({"sub": "usr_a", "exp": now() + 600, "iss": "https://id.example", "aud": "autobook"});
    assert!(check(&v, &hs256(&good, SECRET)).is_ok());
    let mut wrong = good.clone();
    wrong["iss"] = json!("https://evil.example");
    assert_eq!(
        check(&v, &hs256(&wrong, SECRET)),
        Err(AuthError::WrongIssuer)
    );
    let mut wrong = good.clone();
    wrong["aud"] = json!("someone-else");
    assert_eq!(
        check(&v, &hs256(&wrong, SECRET)),
        Err(AuthError::WrongAudience)
    );
    let missing = json!({"sub": "usr_a", "exp": now() + 600, "aud": "autobook"});
    assert_eq!(
        check(&v, &hs256(&missing, SECRET)),
        Err(AuthError::WrongIssuer)
    );
    let missing = json!({"sub": "usr_a", "exp": now() + 600, "iss": "https://id.example"});
    assert_eq!(
        check(&v, &hs256(&missing, SECRET)),
        Err(AuthError::WrongAudience)
    );
}

#[test]
fn configuration_needs_a_key_and_a_long_secret() {
    assert!(matches!(
        Verifier::new(&AuthConfig::default()),
        Err(AuthConfigError::NoKey)
    ));
    let short = AuthConfig {
        hs256_secret: Some(JwtSecret::new("short")),
        ..AuthConfig::default()
    };
    assert!(matches!(
        Verifier::new(&short),
        Err(AuthConfigError::ShortSecret)
    ));
    let bad_pem = AuthConfig {
        rs256_public_key_pem: Some("not a key".into()),
        ..AuthConfig::default()
    };
    assert!(matches!(
        Verifier::new(&bad_pem),
        Err(AuthConfigError::InvalidKey(_))
    ));
}
