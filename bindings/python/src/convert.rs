//! Conversions between Python values and the core's JSON and time values.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

/// `now` as given, or Python's `time.time()` (read through the `time` module so test suites can freeze it).
pub fn now_or_clock(py: Python<'_>, now: Option<f64>) -> PyResult<i64> {
    let seconds = match now {
        Some(now) => now,
        None => py.import("time")?.getattr("time")?.call0()?.extract::<f64>()?,
    };
    if !seconds.is_finite() || seconds.abs() > 1e15 {
        return Err(PyValueError::new_err(format!("now must be a finite Unix time in seconds, got {seconds}")));
    }
    Ok(seconds.floor() as i64)
}

/// A JSON value from a Python object (dict, list, str, int, float, bool, None).
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize::<Value>(obj).map_err(|e| {
        PyTypeError::new_err(format!("expected JSON-compatible data (dict, list, str, number, bool, None): {e}"))
    })
}

/// A JSON object from a Python mapping; `None` gives an empty object.
pub fn to_json_object(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Map<String, Value>> {
    match obj {
        None => Ok(Map::new()),
        Some(obj) if obj.is_none() => Ok(Map::new()),
        Some(obj) => match to_json(obj)? {
            Value::Object(map) => Ok(map),
            _ => Err(PyTypeError::new_err(format!("{what} must be a dict with str keys"))),
        },
    }
}

/// A Python object from a JSON value.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A Python dict from a JSON object.
pub fn to_py_dict<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict)
}
