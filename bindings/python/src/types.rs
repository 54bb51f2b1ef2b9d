//! Result objects: typed, with attributes, and a `to_dict()` where a dict is handy.

use crate::convert::{to_py, to_py_dict};
use crate::errors::IntoPy;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The verified claims of an access token. Values are turned into Python objects only when read.
#[pyclass(frozen, module = "sessionward._native", name = "AccessClaims")]
pub struct PyAccessClaims {
    pub inner: sessionward::AccessClaims,
}

#[pymethods]
impl PyAccessClaims {
    /// `sub`: the user id.
    #[getter]
    fn user_id(&self) -> &str {
        &self.inner.subject
    }
    /// `sid`: the session handle.
    #[getter]
    fn session_handle(&self) -> &str {
        &self.inner.session_handle
    }
    /// `jti`.
    #[getter]
    fn token_id(&self) -> &str {
        &self.inner.token_id
    }
    /// `iss`.
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.issuer
    }
    /// `aud`, as a list.
    #[getter]
    fn audience(&self) -> Vec<String> {
        self.inner.audience.clone()
    }
    /// `iat`.
    #[getter]
    fn issued_at(&self) -> i64 {
        self.inner.issued_at
    }
    /// `exp`.
    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }
    /// The `kid` of the signing key.
    #[getter]
    fn kid(&self) -> &str {
        &self.inner.kid
    }
    /// The application's own claims, as a new dict.
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_py_dict(py, &self.inner.custom)
    }
    /// One custom claim, or `default`.
    #[pyo3(signature = (name, default = None))]
    fn get<'py>(&self, py: Python<'py>, name: &str, default: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.custom.get(name) {
            Some(v) => to_py(py, v),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }
    fn __getitem__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let value = self.inner.custom.get(name).ok_or_else(|| PyKeyError::new_err(name.to_owned()))?;
        to_py(py, value)
    }
    fn __contains__(&self, name: &str) -> bool {
        self.inner.custom.contains_key(name)
    }
    /// Raise `InvalidClaimError` (HTTP 403) unless custom claim `name` equals `value`.
    fn require_eq(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.require_eq(name, &crate::convert::to_json(value)?).py_err()
    }
    /// Raise `InvalidClaimError` (HTTP 403) unless claim `name` is a list (or space-separated string)
    /// containing `item`.
    fn require_contains(&self, name: &str, item: &str) -> PyResult<()> {
        self.inner.require_contains(name, item).py_err()
    }
    /// All claims as one dict, registered names included (`sub`, `sid`, `jti`, `iss`, `aud`, `iat`, `exp`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = to_py_dict(py, &self.inner.custom)?;
        dict.set_item("iss", &self.inner.issuer)?;
        dict.set_item("sub", &self.inner.subject)?;
        dict.set_item("aud", self.inner.audience.clone())?;
        dict.set_item("sid", &self.inner.session_handle)?;
        dict.set_item("jti", &self.inner.token_id)?;
        dict.set_item("iat", self.inner.issued_at)?;
        dict.set_item("exp", self.inner.expires_at)?;
        Ok(dict)
    }
    fn __repr__(&self) -> String {
        format!(
            "AccessClaims(user_id={:?}, session_handle={:?}, expires_at={})",
            self.inner.subject, self.inner.session_handle, self.inner.expires_at
        )
    }
}

/// A session as the application sees it: no hashes, no tokens.
#[pyclass(frozen, module = "sessionward._native", name = "Session")]
pub struct PySession {
    pub inner: sessionward::Session,
}

#[pymethods]
impl PySession {
    /// The session handle (`sid`).
    #[getter]
    fn handle(&self) -> &str {
        &self.inner.handle
    }
    /// The user id.
    #[getter]
    fn user_id(&self) -> &str {
        &self.inner.user_id
    }
    /// Creation time.
    #[getter]
    fn created_at(&self) -> i64 {
        self.inner.created_at
    }
    /// Last refresh (creation time if never refreshed).
    #[getter]
    fn refreshed_at(&self) -> i64 {
        self.inner.refreshed_at
    }
    /// Idle expiry (moves forward at each refresh).
    #[getter]
    fn idle_expires_at(&self) -> i64 {
        self.inner.idle_expires_at
    }
    /// Absolute expiry (never moves).
    #[getter]
    fn absolute_expires_at(&self) -> i64 {
        self.inner.absolute_expires_at
    }
    /// The claims copied into every access token.
    #[getter]
    fn access_claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_py_dict(py, &self.inner.access_claims)
    }
    /// Server-side session data.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.data)
    }
    /// `User-Agent` at sign-in.
    #[getter]
    fn user_agent(&self) -> Option<&str> {
        self.inner.metadata.user_agent.as_deref()
    }
    /// Client IP at sign-in.
    #[getter]
    fn ip(&self) -> Option<&str> {
        self.inner.metadata.ip.as_deref()
    }
    /// Device label.
    #[getter]
    fn device(&self) -> Option<&str> {
        self.inner.metadata.device.as_deref()
    }
    /// Everything as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(
            py,
            &serde_json::to_value(&self.inner).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?,
        )
    }
    fn __repr__(&self) -> String {
        format!("Session(handle={:?}, user_id={:?})", self.inner.handle, self.inner.user_id)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PySession>().is_ok_and(|o| o.get().inner == self.inner)
    }
}

/// A freshly minted access token.
#[pyclass(frozen, module = "sessionward._native", name = "AccessToken")]
pub struct PyAccessToken {
    pub inner: sessionward::AccessToken,
}

#[pymethods]
impl PyAccessToken {
    /// The compact JWS (secret: send it only to its client).
    #[getter]
    fn token(&self) -> &str {
        &self.inner.token
    }
    /// Its `exp`.
    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }
    /// Its `jti` (also the double-submit CSRF token).
    #[getter]
    fn token_id(&self) -> &str {
        &self.inner.token_id
    }
    /// The non-secret front token for browser code.
    #[getter]
    fn front_token(&self) -> &str {
        &self.inner.front_token
    }
    fn __repr__(&self) -> String {
        format!("AccessToken(expires_at={}, token=...)", self.inner.expires_at)
    }
}

/// What sign-in and refresh hand to the client.
#[pyclass(frozen, module = "sessionward._native", name = "IssuedTokens")]
pub struct PyIssuedTokens {
    pub access: Py<PyAccessToken>,
    pub session: Py<PySession>,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
}

impl PyIssuedTokens {
    pub fn new(py: Python<'_>, issued: sessionward::IssuedTokens) -> PyResult<Self> {
        Ok(Self {
            access: Py::new(py, PyAccessToken { inner: issued.access })?,
            session: Py::new(py, PySession { inner: issued.session })?,
            refresh_token: issued.refresh_token,
            refresh_expires_at: issued.refresh_expires_at,
        })
    }
}

#[pymethods]
impl PyIssuedTokens {
    /// The access token.
    #[getter]
    fn access(&self, py: Python<'_>) -> Py<PyAccessToken> {
        self.access.clone_ref(py)
    }
    /// Shortcut for `access.token`.
    #[getter]
    fn access_token(&self) -> String {
        self.access.get().inner.token.clone()
    }
    /// The refresh token (`swr_...`; secret, stored only as a hash).
    #[getter]
    fn refresh_token(&self) -> &str {
        &self.refresh_token
    }
    /// When the refresh token stops working if unused.
    #[getter]
    fn refresh_expires_at(&self) -> i64 {
        self.refresh_expires_at
    }
    /// The session.
    #[getter]
    fn session(&self, py: Python<'_>) -> Py<PySession> {
        self.session.clone_ref(py)
    }
    /// The body a header-mode client receives: tokens, expiries, front token.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let access = &self.access.get().inner;
        let dict = PyDict::new(py);
        dict.set_item("access_token", &access.token)?;
        dict.set_item("access_expires_at", access.expires_at)?;
        dict.set_item("refresh_token", &self.refresh_token)?;
        dict.set_item("refresh_expires_at", self.refresh_expires_at)?;
        dict.set_item("front_token", &access.front_token)?;
        dict.set_item("session_handle", &self.session.get().inner.handle)?;
        Ok(dict)
    }
    fn __repr__(&self) -> String {
        format!(
            "IssuedTokens(session={:?}, refresh_expires_at={}, ...)",
            self.session.get().inner.handle,
            self.refresh_expires_at
        )
    }
}
