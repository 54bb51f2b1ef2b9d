//! The one conversion from `sessionward::Error` (and from bad arguments) to JavaScript errors.
//!
//! The error classes live in JavaScript (`index.js`: `SessionwardError` and one subclass per code), so
//! `instanceof` works; the loader registers a factory for them when it loads the addon, and every error is
//! built by that factory from the core's code, HTTP status, message and public sentence.

use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Unknown};
use napi::{Env, Result};
use sessionward::Error;
use std::cell::Cell;

/// The fields of one error, passed positionally (an object literal built in JavaScript is cheaper than one
/// built through napi, and rejection is on an attacker's budget): kind (`"sessionward"`, `"type"` or
/// `"range"`), code, status, message, public message, reason, session handle, user id, claim.
pub type Fields<'a> =
    (&'a str, &'a str, u32, String, &'a str, Option<String>, Option<String>, Option<String>, Option<String>);

type Factory = FunctionRef<FnArgs<Fields<'static>>, Unknown<'static>>;

thread_local! {
    // One per JavaScript thread (main thread or worker), leaked: it lives as long as the environment.
    static FACTORY: Cell<Option<&'static Factory>> = const { Cell::new(None) };
}

/// Keep the function that builds sessionward's error objects for this JavaScript thread.
pub fn register(factory: Function<'_, FnArgs<Fields<'static>>, Unknown<'static>>) -> Result<()> {
    let reference: &'static Factory = Box::leak(Box::new(factory.create_ref()?));
    FACTORY.with(|f| f.set(Some(reference)));
    Ok(())
}

fn build(env: &Env, fields: Fields<'static>) -> napi::Error {
    let (code, message) = (fields.1, fields.3.clone());
    let built =
        FACTORY.with(Cell::get).map(|factory| factory.borrow_back(env).and_then(|f| f.call(FnArgs::from(fields))));
    match built {
        Some(Ok(error)) => napi::Error::from(error),
        // The addon was loaded without `index.js`: a plain error still carries the code.
        _ => napi::Error::new(napi::Status::GenericFailure, format!("{code}: {message}")),
    }
}

/// The JavaScript error for a core error; its message is the core's, which never contains a secret.
pub fn core(env: &Env, err: Error) -> napi::Error {
    let (code, status, public, message) = (err.code(), err.http_status().into(), err.public_message(), err.to_string());
    let (mut reason, mut session_handle, mut user_id, mut claim) = (None, None, None, None);
    match err {
        Error::Unauthorised { reason: r } => reason = Some(format!("{r:?}")),
        Error::TokenTheft { session_handle: s, user_id: u } => (session_handle, user_id) = (Some(s), Some(u)),
        Error::InvalidClaim { claim: c, .. } => claim = Some(c),
        _ => {}
    }
    build(env, ("sessionward", code, status, message, public, reason, session_handle, user_id, claim))
}

fn invalid_argument(env: &Env, kind: &'static str, message: String) -> napi::Error {
    let sample = Error::InvalidArgument(String::new());
    let (code, status, public) = (sample.code(), sample.http_status().into(), sample.public_message());
    build(env, (kind, code, status, message, public, None, None, None, None))
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
