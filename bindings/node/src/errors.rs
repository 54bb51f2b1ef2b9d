//! The one conversion from `sessionward::Error` (and from bad arguments) to JavaScript errors.
//!
//! The error classes live in JavaScript (`index.js`: `SessionwardError` and one subclass per code), so
//! `instanceof` works; the loader registers a factory for them when it loads the addon, and every error is
//! built by that factory from the core's code, HTTP status, message and public sentence.

use napi::bindgen_prelude::{Function, FunctionRef, Unknown};
use napi::{Env, Result};
use serde_json::{Map, Value, json};
use sessionward::Error;
use std::cell::Cell;

type Factory = FunctionRef<Value, Unknown<'static>>;

thread_local! {
    // One per JavaScript thread (main thread or worker), leaked: it lives as long as the environment.
    static FACTORY: Cell<Option<&'static Factory>> = const { Cell::new(None) };
}

/// Keep the function that builds sessionward's error objects for this JavaScript thread.
pub fn register(factory: Function<'_, Value, Unknown<'static>>) -> Result<()> {
    let reference: &'static Factory = Box::leak(Box::new(factory.create_ref()?));
    FACTORY.with(|f| f.set(Some(reference)));
    Ok(())
}

/// Build a JavaScript error of `kind` (`"sessionward"`, `"type"` or `"range"`) from its fields.
fn build(
    env: &Env,
    kind: &str,
    code: &str,
    status: u16,
    message: String,
    public: &str,
    extra: Map<String, Value>,
) -> napi::Error {
    let mut fields = extra;
    fields.insert("kind".into(), kind.into());
    fields.insert("code".into(), code.into());
    fields.insert("status".into(), status.into());
    fields.insert("publicMessage".into(), public.into());
    let built = FACTORY.with(Cell::get).map(|factory| {
        let message = message.clone();
        factory.borrow_back(env).and_then(|f| f.call(json!({ "message": message, "fields": fields })))
    });
    match built {
        Some(Ok(error)) => napi::Error::from(error),
        // The addon was loaded without `index.js`: a plain error still carries the code.
        _ => napi::Error::new(napi::Status::GenericFailure, format!("{code}: {message}")),
    }
}

/// The JavaScript error for a core error; its message is the core's, which never contains a secret.
pub fn core(env: &Env, err: Error) -> napi::Error {
    let mut extra = Map::new();
    match &err {
        Error::Unauthorised { reason } => {
            extra.insert("reason".into(), format!("{reason:?}").into());
        }
        Error::TokenTheft { session_handle, user_id } => {
            extra.insert("sessionHandle".into(), session_handle.as_str().into());
            extra.insert("userId".into(), user_id.as_str().into());
        }
        Error::InvalidClaim { claim, .. } => {
            extra.insert("claim".into(), claim.as_str().into());
        }
        _ => {}
    }
    build(env, "sessionward", err.code(), err.http_status(), err.to_string(), err.public_message(), extra)
}

fn invalid_argument(env: &Env, kind: &str, message: String) -> napi::Error {
    let sample = Error::InvalidArgument(String::new());
    build(env, kind, sample.code(), sample.http_status(), message, sample.public_message(), Map::new())
}

/// A `TypeError` (code `invalid_argument`) for an argument of the wrong type.
pub fn type_error(env: &Env, message: String) -> napi::Error {
    invalid_argument(env, "type", message)
}

/// A `RangeError` (code `invalid_argument`) for an argument out of range.
pub fn range_error(env: &Env, message: String) -> napi::Error {
    invalid_argument(env, "range", message)
}

/// `sessionward::Result` into napi's, given the environment to build the error in.
pub trait IntoJs<T> {
    /// Convert the error side.
    fn js(self, env: &Env) -> Result<T>;
}

impl<T> IntoJs<T> for sessionward::Result<T> {
    fn js(self, env: &Env) -> Result<T> {
        self.map_err(|e| core(env, e))
    }
}
