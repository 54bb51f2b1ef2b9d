//! Signing keys: generate, import (PEM, JWK, secret), inspect.

use crate::convert::to_py_dict;
use crate::errors::IntoPy;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sessionward::{Algorithm, SigningKey};
use std::sync::Arc;

fn algorithm(name: &str) -> PyResult<Algorithm> {
    name.parse::<Algorithm>().py_err()
}

/// A signing key pinned to one algorithm. A key from a public PEM or JWK only verifies.
#[pyclass(frozen, module = "sessionward._native", name = "Key")]
pub struct PyKey {
    pub inner: Arc<SigningKey>,
}

#[pymethods]
impl PyKey {
    /// A fresh key from the OS random source (`"EdDSA"`, `"ES256"`, `"RS256"` or `"HS256"`).
    #[staticmethod]
    #[pyo3(signature = (algorithm = "EdDSA"))]
    fn generate(py: Python<'_>, algorithm: &str) -> PyResult<Self> {
        let alg = self::algorithm(algorithm)?;
        Ok(Self { inner: Arc::new(py.detach(|| SigningKey::generate(alg)).py_err()?) })
    }
    /// A key from PEM text: a private key signs and verifies, a public key only verifies.
    #[staticmethod]
    #[pyo3(signature = (algorithm, pem, kid = None))]
    fn from_pem(algorithm: &str, pem: &str, kid: Option<String>) -> PyResult<Self> {
        Ok(Self { inner: Arc::new(SigningKey::from_pem(self::algorithm(algorithm)?, pem, kid).py_err()?) })
    }
    /// A key from a JWK (JSON text or dict); it must carry `alg`.
    #[staticmethod]
    fn from_jwk(jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = match jwk.extract::<String>() {
            Ok(text) => text,
            Err(_) => crate::convert::to_json(jwk)?.to_string(),
        };
        Ok(Self { inner: Arc::new(SigningKey::from_jwk(&text).py_err()?) })
    }
    /// An HS256 key from a shared secret of at least 32 bytes.
    #[staticmethod]
    #[pyo3(signature = (secret, kid = None))]
    fn from_secret(secret: &[u8], kid: Option<String>) -> PyResult<Self> {
        Ok(Self { inner: Arc::new(SigningKey::from_secret(secret, kid).py_err()?) })
    }
    /// The key id.
    #[getter]
    fn kid(&self) -> &str {
        self.inner.kid()
    }
    /// The pinned algorithm.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }
    /// Whether the private half is present.
    #[getter]
    fn can_sign(&self) -> bool {
        self.inner.can_sign()
    }
    /// The public JWK, or `None` for HS256 secrets (never published).
    fn public_jwk<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner.public_jwk().map(|jwk| to_py_dict(py, jwk)).transpose()
    }
    fn __repr__(&self) -> String {
        format!(
            "Key(kid={:?}, algorithm={:?}, can_sign={})",
            self.inner.kid(),
            self.inner.algorithm().as_str(),
            self.inner.can_sign()
        )
    }
}
