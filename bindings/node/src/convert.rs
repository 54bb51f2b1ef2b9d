//! Conversions from JavaScript arguments to the core's values, with our own checks rather than napi's: napi's
//! conversion errors are plain `Error`s whose message can quote the value (a secret or a token passed in
//! the wrong place), while ours are `TypeError`/`RangeError` naming only the argument and the type received.

use crate::errors::{range_error, type_error};
use napi::bindgen_prelude::{Array, ClassInstance, FromNapiValue, JavaScriptClassExt, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, Result, ValueType};
use serde_json::{Map, Value};

/// The JavaScript name of a value's type, for error messages (never the value itself).
fn type_name(value: &Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Object) => "object",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        _ => "an unknown type",
    }
}

/// Whether a value is `undefined` or `null` (an option left out).
pub fn is_nullish(value: &Unknown<'_>) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

fn expect(env: &Env, value: &Unknown<'_>, expected: ValueType, what: &str, wanted: &str) -> Result<()> {
    if value.get_type()? == expected {
        Ok(())
    } else {
        Err(type_error(env, format!("{what} must be {wanted}, got {}", type_name(value))))
    }
}

/// A string argument.
pub fn string(env: &Env, value: Unknown<'_>, what: &str) -> Result<String> {
    expect(env, &value, ValueType::String, what, "a string")?;
    String::from_unknown(value)
}

/// An array of strings; anything else is a `TypeError`.
pub fn string_list(env: &Env, value: Unknown<'_>, what: &str) -> Result<Vec<String>> {
    if !value.is_array()? {
        return Err(type_error(env, format!("{what} must be an array of strings")));
    }
    let array = Array::from_unknown(value)?;
    (0..array.len()).map(|i| string(env, array.get::<Unknown>(i)?.unwrap_or(value), what)).collect()
}

/// An optional string: `undefined` and `null` give `None`.
pub fn opt_string(env: &Env, value: Option<Unknown<'_>>, what: &str) -> Result<Option<String>> {
    match value {
        Some(v) if !is_nullish(&v) => string(env, v, what).map(Some),
        _ => Ok(None),
    }
}

/// A boolean argument.
pub fn boolean(env: &Env, value: Unknown<'_>, what: &str) -> Result<bool> {
    expect(env, &value, ValueType::Boolean, what, "a boolean")?;
    bool::from_unknown(value)
}

/// A finite number.
pub fn number(env: &Env, value: Unknown<'_>, what: &str) -> Result<f64> {
    expect(env, &value, ValueType::Number, what, "a number")?;
    let n = f64::from_unknown(value)?;
    if !n.is_finite() {
        return Err(range_error(env, format!("{what} must be a finite number, got {n}")));
    }
    Ok(n)
}

/// A whole number within `min..=max`.
pub fn integer(env: &Env, value: Unknown<'_>, what: &str, min: i64, max: i64) -> Result<i64> {
    let n = number(env, value, what)?;
    if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
        return Err(range_error(env, format!("{what} must be a whole number from {min} to {max}, got {n}")));
    }
    Ok(n as i64)
}

/// A duration in seconds: a whole number from 0 to 100 years (the core's lifetimes and windows).
pub fn seconds(env: &Env, value: Unknown<'_>, what: &str) -> Result<i64> {
    integer(env, value, what, 0, 100 * 365 * 86_400)
}

/// A store timeout in seconds (fractions allowed): above 0 and at most a day, as in the Python package.
pub fn timeout(env: &Env, value: Unknown<'_>, what: &str) -> Result<std::time::Duration> {
    let n = number(env, value, what)?;
    if !(n > 0.0 && n <= 86_400.0) {
        return Err(range_error(env, format!("{what} must be a number of seconds above 0 and at most 86400")));
    }
    Ok(std::time::Duration::from_secs_f64(n))
}

/// An object argument (not an array, not null).
pub fn object<'a>(env: &Env, value: Unknown<'a>, what: &str) -> Result<Object<'a>> {
    expect(env, &value, ValueType::Object, what, "an object")?;
    Object::from_unknown(value)
}

/// An instance of the native class `T`.
pub fn instance<'a, T>(env: &Env, value: Unknown<'a>, what: &str, wanted: &str) -> Result<ClassInstance<'a, T>>
where
    T: JavaScriptClassExt + napi::bindgen_prelude::MaybeTypeTag + 'a,
{
    let is_instance = value.get_type()? == ValueType::Object && T::instance_of(env, &value).unwrap_or(false);
    if !is_instance {
        return Err(type_error(env, format!("{what} must be {wanted}, got {}", type_name(&value))));
    }
    ClassInstance::<T>::from_unknown(value)
}

/// Any JSON-compatible value (plain objects, arrays, strings, finite numbers, booleans, null).
pub fn json(env: &Env, value: Unknown<'_>, what: &str) -> Result<Value> {
    Value::from_unknown(value).map_err(|e| {
        type_error(
            env,
            format!(
                "{what} must be JSON-compatible data (objects, arrays, strings, numbers, booleans, null): {}",
                e.reason
            ),
        )
    })
}

/// A JSON object (plain object with string keys); `undefined`/`null` give an empty one.
pub fn json_object(env: &Env, value: Option<Unknown<'_>>, what: &str) -> Result<Map<String, Value>> {
    match value {
        Some(v) if !is_nullish(&v) => {
            let is_array = v.is_array()?;
            if v.get_type()? != ValueType::Object || is_array {
                let got = if is_array { "array" } else { type_name(&v) };
                return Err(type_error(env, format!("{what} must be a plain object, got {got}")));
            }
            match json(env, v, what)? {
                Value::Object(map) => Ok(map),
                _ => Err(type_error(env, format!("{what} must be a plain object"))),
            }
        }
        _ => Ok(Map::new()),
    }
}

/// The options object of a call: `undefined`/`null` mean no options.
pub struct Options<'a> {
    object: Option<Object<'a>>,
}

impl<'a> Options<'a> {
    /// Read `value` as an options object named `what`.
    pub fn new(env: &Env, value: Option<Unknown<'a>>, what: &str) -> Result<Self> {
        match value {
            Some(v) if !is_nullish(&v) => Ok(Self { object: Some(object(env, v, what)?) }),
            _ => Ok(Self { object: None }),
        }
    }

    /// One option; `undefined` and `null` count as absent.
    pub fn get(&self, name: &str) -> Result<Option<Unknown<'a>>> {
        let Some(object) = &self.object else { return Ok(None) };
        let value: Unknown<'a> = object.get_named_property(name)?;
        Ok(if is_nullish(&value) { None } else { Some(value) })
    }

    /// `now` (Unix seconds, fractions floored), or the system clock.
    pub fn now(&self, env: &Env) -> Result<i64> {
        match self.get("now")? {
            Some(v) => now(env, v),
            None => Ok(sessionward::unix_now()),
        }
    }
}

/// A Unix time in seconds, fractions floored.
fn now(env: &Env, value: Unknown<'_>) -> Result<i64> {
    let seconds = number(env, value, "now")?;
    if seconds.abs() > 1e15 {
        return Err(range_error(env, format!("now must be a Unix time in seconds, got {seconds}")));
    }
    Ok(seconds.floor() as i64)
}

/// `now` from an optional `{now}` options argument.
pub fn now_option(env: &Env, options: Option<Unknown<'_>>) -> Result<i64> {
    // The common case, no options: no property lookups at all.
    match options {
        None => Ok(sessionward::unix_now()),
        Some(v) => Options::new(env, Some(v), "options")?.now(env),
    }
}

/// Make sure a value is present (not `undefined`), for required arguments declared as `Unknown`.
pub fn required<'a>(env: &Env, value: Option<Unknown<'a>>, what: &str, wanted: &str) -> Result<Unknown<'a>> {
    match value {
        Some(v) if !matches!(v.get_type(), Ok(ValueType::Undefined)) => Ok(v),
        _ => Err(type_error(env, format!("{what} must be {wanted}, got undefined"))),
    }
}
