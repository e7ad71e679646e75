//! Reading a request's id, query and form with refusals that name what was
//! wrong and never quote it (axum's own rejections echo the input).

use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::PageError;

/// The `{id}` of the address, a UUID.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::bad_request("id: the address holds no id"))?;
        Uuid::try_parse(&text)
            .map(Id)
            .map_err(|_| PageError::bad_request("id: the address's id is not a UUID"))
    }
}

/// The query string, read into `T`.
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryOf(value))
            .map_err(|_| PageError::bad_request("query: the address's parameters are malformed"))
    }
}

/// A form, read into `T`.
pub struct Fields<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Fields<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(value)| Fields(value))
            .map_err(|_| {
                PageError::bad_request(
                    "form: malformed or incomplete (reload the page and try again)",
                )
            })
    }
}
