//! `AccessClaims` are a JavaScript class (`index.js`), not a native one: creating a native class instance
//! (`napi_new_instance` + wrap) cost more than the HS256 verify itself. The addon hands the registered claims
//! to a factory the loader registers, as plain values, and the application's own claims as their JSON text,
//! which JavaScript parses only when they are read (`claims`, `get`, `toJSON`). `requireEq` and
//! `requireContains` come back here with that text, so the checks stay the core's.

use crate::convert;
use crate::errors::IntoJs;
use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::{Map, Value};
use std::cell::Cell;

/// The factory's arguments, in order: user id, session handle, token id, issuer, audience, issued at,
/// expires at, kid, and the custom claims as JSON.
type Fields = (String, String, String, String, Vec<String>, i64, i64, String, String);

type Factory = FunctionRef<FnArgs<Fields>, Unknown<'static>>;

thread_local! {
    // One per JavaScript thread (main thread or worker), leaked: it lives as long as the environment.
    static FACTORY: Cell<Option<&'static Factory>> = const { Cell::new(None) };
}

/// Called once by the loader (`index.js`) with the function that builds `AccessClaims` objects.
#[napi(skip_typescript)]
pub fn register_claims_factory(factory: Function<'_, FnArgs<Fields>, Unknown<'static>>) -> Result<()> {
    let reference: &'static Factory = Box::leak(Box::new(factory.create_ref()?));
    FACTORY.with(|f| f.set(Some(reference)));
    Ok(())
}

/// The JavaScript `AccessClaims` object for verified claims.
pub fn to_js(env: &Env, claims: sessionward::AccessClaims) -> Result<Unknown<'static>> {
    let Some(factory) = FACTORY.with(Cell::get) else {
        return Err(napi::Error::from_reason("sessionward: load the addon through index.js"));
    };
    let custom = serde_json::to_string(&claims.custom).map_err(|e| napi::Error::from_reason(e.to_string()))?;
    let c = claims;
    let fields =
        (c.subject, c.session_handle, c.token_id, c.issuer, c.audience, c.issued_at, c.expires_at, c.kid, custom);
    factory.borrow_back(env)?.call(FnArgs::from(fields))
}

/// The custom claims back from their JSON text, as core claims (the checks read only the custom claims).
fn custom(env: &Env, json: Unknown<'_>) -> Result<sessionward::AccessClaims> {
    let custom: Map<String, Value> = serde_json::from_str(&convert::string(env, json, "claims")?)
        .map_err(|e| napi::Error::from_reason(format!("sessionward: custom claims are not JSON: {e}")))?;
    let none = String::new;
    Ok(sessionward::AccessClaims {
        issuer: none(),
        subject: none(),
        audience: Vec::new(),
        session_handle: none(),
        token_id: none(),
        issued_at: 0,
        expires_at: 0,
        custom,
        kid: none(),
    })
}

/// `AccessClaims.requireEq`: the core's check.
#[napi(skip_typescript)]
pub fn claims_require_eq(env: Env, json: Unknown<'_>, name: Unknown<'_>, value: Unknown<'_>) -> Result<()> {
    let name = convert::string(&env, name, "name")?;
    let value = convert::json(&env, value, "value")?;
    custom(&env, json)?.require_eq(&name, &value).js(&env)
}

/// `AccessClaims.requireContains`: the core's check.
#[napi(skip_typescript)]
pub fn claims_require_contains(env: Env, json: Unknown<'_>, name: Unknown<'_>, item: Unknown<'_>) -> Result<()> {
    let name = convert::string(&env, name, "name")?;
    let item = convert::string(&env, item, "item")?;
    custom(&env, json)?.require_contains(&name, &item).js(&env)
}
