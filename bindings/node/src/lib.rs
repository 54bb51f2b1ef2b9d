//! The napi-rs glue over the `sessionward` core, loaded by the npm package's `index.js`. One file per core
//! concept, parallel to the Python binding; no logic.

mod claims;
mod convert;
mod errors;
mod http;
mod keys;
mod manager;
mod store;
mod task;
mod types;

use napi::bindgen_prelude::{FnArgs, Function, Unknown};

// The functions `index.js` calls for its `AccessClaims` class (exported here so they count as used).
pub use claims::{claims_require_contains, claims_require_eq, register_claims_factory};
use napi_derive::napi;

/// Called once by the loader (`index.js`) with the function that builds sessionward's error objects.
#[napi(skip_typescript)]
pub fn register_error_factory(
    factory: Function<'_, FnArgs<errors::Fields<'static>>, Unknown<'static>>,
) -> napi::Result<()> {
    errors::register(factory)
}

/// Every stable error code, in the order of the core's `Error::CODES` (exported as `ERROR_CODES`).
#[napi(skip_typescript)]
pub fn error_codes() -> Vec<&'static str> {
    sessionward::Error::CODES.to_vec()
}

/// The HTTP status of each error code (exported as `ERROR_STATUS`).
#[napi(skip_typescript)]
pub fn error_statuses() -> std::collections::HashMap<&'static str, u32> {
    sessionward::Error::one_of_each().iter().map(|e| (e.code(), e.http_status().into())).collect()
}

/// The fixed public sentence of each error code, sent in JSON bodies (exported as `PUBLIC_MESSAGES`).
#[napi(skip_typescript)]
pub fn public_messages() -> std::collections::HashMap<&'static str, &'static str> {
    sessionward::Error::one_of_each().iter().map(|e| (e.code(), e.public_message())).collect()
}

/// Every `reason` of an `unauthorised` error (exported as `UNAUTHORISED_REASONS`).
#[napi(skip_typescript)]
pub fn unauthorised_reasons() -> Vec<String> {
    sessionward::UnauthorisedReason::ALL.iter().map(|r| format!("{r:?}")).collect()
}

/// The package version (exported as `version`).
#[napi(skip_typescript)]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
