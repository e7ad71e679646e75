//! Reading an order body: the selected offer, the passengers' personal
//! details (matched to the offer's passenger ids later), with the infant on
//! each adult's lap and any identity documents, the balance payment and
//! string metadata.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::documents::{self, DocumentInput};
use super::errors::DuffelError;
use super::request::{Fields, element};

const MAX_METADATA_KEYS: usize = 50;

/// A passenger as the order body gives it; Debug never prints the details.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PassengerInput {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) gender: String,
    pub(crate) given_name: String,
    pub(crate) family_name: String,
    pub(crate) born_on: NaiveDate,
    pub(crate) email: String,
    pub(crate) phone_number: String,
    /// The infant on this adult's lap.
    pub(crate) infant_passenger_id: Option<String>,
    pub(crate) identity_documents: Vec<DocumentInput>,
}

impl fmt::Debug for PassengerInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassengerInput")
            .field("id", &self.id)
            .field("infant_passenger_id", &self.infant_passenger_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderRequest {
    pub(crate) offer_id: String,
    pub(crate) passengers: Vec<PassengerInput>,
    pub(crate) payment_amount: String,
    pub(crate) payment_currency: String,
    pub(crate) metadata: BTreeMap<String, String>,
}

pub(crate) fn parse_order(data: &Map<String, Value>) -> Result<OrderRequest, DuffelError> {
    let fields = Fields::root(data);
    match fields.string("type")? {
        "instant" => {}
        _ => {
            return Err(DuffelError::invalid(
                "type",
                "Field 'type' must be 'instant' (hold orders are not offered here)",
            ));
        }
    }
    let offers = fields.array("selected_offers")?;
    let offer_id = match offers {
        [Value::String(id)] if !id.is_empty() => id.clone(),
        _ => {
            return Err(DuffelError::invalid(
                "selected_offers",
                "Field 'selected_offers' must hold exactly one offer id",
            ));
        }
    };
    let passengers = fields
        .array("passengers")?
        .iter()
        .enumerate()
        .map(|(index, value)| parse_passenger(value, &format!("passengers[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let payments = fields.array("payments")?;
    let [payment] = payments else {
        return Err(DuffelError::invalid(
            "payments",
            "Field 'payments' must hold exactly one payment",
        ));
    };
    let payment = element(payment, "payments[0]")?;
    match payment.string("type")? {
        "balance" => {}
        _ => {
            return Err(DuffelError::invalid(
                "payments[0].type",
                "Field 'payments[0].type' must be 'balance'",
            ));
        }
    }
    let payment_amount = payment.string("amount")?.to_owned();
    let payment_currency = payment.string("currency")?.to_owned();
    let metadata = parse_metadata(fields.optional_object("metadata")?)?;
    Ok(OrderRequest {
        offer_id,
        passengers,
        payment_amount,
        payment_currency,
        metadata,
    })
}

fn parse_passenger(value: &Value, path: &str) -> Result<PassengerInput, DuffelError> {
    let fields = element(value, path)?;
    let one_of = |name: &str, allowed: &[&str]| -> Result<String, DuffelError> {
        let text = fields.string(name)?;
        if allowed.contains(&text) {
            Ok(text.to_owned())
        } else {
            Err(DuffelError::invalid(
                &fields.path_of(name),
                format!(
                    "Field '{}' must be one of {}",
                    fields.path_of(name),
                    allowed.join(", ")
                ),
            ))
        }
    };
    let born_on =
        NaiveDate::parse_from_str(fields.string("born_on")?, "%Y-%m-%d").map_err(|_| {
            DuffelError::invalid(
                &fields.path_of("born_on"),
                "Field 'born_on' must be a date (YYYY-MM-DD)",
            )
        })?;
    let email = fields.string("email")?;
    if !looks_like_email(email) {
        return Err(DuffelError::invalid(
            &fields.path_of("email"),
            "Field 'email' must be an email address",
        ));
    }
    let phone_number = fields.string("phone_number")?;
    if !looks_like_phone(phone_number) {
        return Err(DuffelError::invalid(
            &fields.path_of("phone_number"),
            "Field 'phone_number' must be in E.164 format, e.g. +442080160509",
        ));
    }
    Ok(PassengerInput {
        id: fields.string("id")?.to_owned(),
        title: one_of("title", &["mr", "ms", "mrs", "miss", "dr"])?,
        gender: one_of("gender", &["m", "f"])?,
        given_name: fields.string("given_name")?.to_owned(),
        family_name: fields.string("family_name")?.to_owned(),
        born_on,
        email: email.to_owned(),
        phone_number: phone_number.to_owned(),
        infant_passenger_id: fields
            .optional_string("infant_passenger_id")?
            .map(str::to_owned),
        identity_documents: documents::parse(&fields)?,
    })
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn looks_like_phone(text: &str) -> bool {
    match text.strip_prefix('+') {
        Some(digits) => {
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn parse_metadata(
    object: Option<&Map<String, Value>>,
) -> Result<BTreeMap<String, String>, DuffelError> {
    let Some(object) = object else {
        return Ok(BTreeMap::new());
    };
    if object.len() > MAX_METADATA_KEYS {
        return Err(DuffelError::invalid(
            "metadata",
            "Field 'metadata' may hold at most 50 keys",
        ));
    }
    object
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) if key.len() <= 40 && text.len() <= 500 => {
                Ok((key.clone(), text.clone()))
            }
            _ => Err(DuffelError::invalid(
                &format!("metadata.{key}"),
                "Metadata keys must be at most 40 characters and values strings of at most 500",
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body() -> Value {
        json!({
            "type": "instant",
            "selected_offers": ["off_1"],
            "passengers": [{
                "id": "pas_1", "born_on": "1987-07-24", "gender": "f", "title": "mrs",
                "given_name": "Amelia", "family_name": "Earhart",
                "email": "amelia@example.com", "phone_number": "+442080160509"
            }],
            "payments": [{"type": "balance", "amount": "90.80", "currency": "GBP"}],
            "metadata": {"saga_id": "s1"}
        })
    }

    #[test]
    fn parses_a_complete_order() {
        let order = parse_order(body().as_object().unwrap()).unwrap();
        assert_eq!(order.offer_id, "off_1");
        assert_eq!(order.payment_amount, "90.80");
        assert_eq!(order.metadata["saga_id"], "s1");
        assert!(!format!("{:?}", order.passengers[0]).contains("Amelia"));
    }

    #[test]
    fn missing_personal_fields_are_422_with_the_field() {
        let mut value = body();
        value["passengers"][0]
            .as_object_mut()
            .unwrap()
            .remove("phone_number");
        let error = parse_order(value.as_object().unwrap()).unwrap_err();
        assert_eq!(error.code, "validation_required");
        assert_eq!(error.field.as_deref(), Some("passengers[0].phone_number"));
        let mut value = body();
        value["metadata"]["n"] = json!(5);
        assert!(parse_order(value.as_object().unwrap()).is_err());
        let mut value = body();
        value["passengers"][0]["gender"] = json!("x");
        assert_eq!(
            parse_order(value.as_object().unwrap()).unwrap_err().code,
            "invalid"
        );
    }

    #[test]
    fn laps_and_documents_are_read() {
        let mut value = body();
        value["passengers"][0]["infant_passenger_id"] = json!("pas_2");
        value["passengers"][0]["identity_documents"] = json!([{
            "type": "passport", "unique_identifier": "K12345678",
            "issuing_country_code": "GB", "expires_on": "2031-05-20"
        }]);
        let order = parse_order(value.as_object().unwrap()).unwrap();
        let passenger = &order.passengers[0];
        assert_eq!(passenger.infant_passenger_id.as_deref(), Some("pas_2"));
        assert_eq!(passenger.identity_documents.len(), 1);
        assert_eq!(passenger.identity_documents[0].issuing_country_code, "GB");
        assert!(!format!("{order:?}").contains("K12345678"));

        for (field, bad, code) in [
            ("type", json!("visa"), "invalid"),
            ("issuing_country_code", json!("UK"), "invalid"),
            ("expires_on", json!("20/05/2031"), "invalid"),
            ("unique_identifier", json!(""), "validation_required"),
        ] {
            let mut value = value.clone();
            value["passengers"][0]["identity_documents"][0][field] = bad;
            let error = parse_order(value.as_object().unwrap()).unwrap_err();
            assert_eq!(error.code, code, "{field}");
            assert_eq!(
                error.field.as_deref(),
                Some(format!("passengers[0].identity_documents[0].{field}").as_str())
            );
        }
    }
}
