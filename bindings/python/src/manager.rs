//! `SessionManager`: every session operation. Store calls and signatures run with the GIL released.

use crate::convert::{now_or_clock, to_json, to_json_object, to_py_dict};
use crate::errors::IntoPy;
use crate::keys::PyKey;
use crate::store::extract_store;
use crate::types::{PyAccessClaims, PyAccessToken, PyIssuedTokens, PySession};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sessionward::{Config, KeyRing, NewSession, SessionManager, SessionMetadata, SessionStore};
use std::sync::Arc;

/// Creates, verifies, refreshes and revokes sessions. Safe to share across threads and forked workers.
#[pyclass(frozen, subclass, module = "sessionward._native", name = "SessionManager")]
pub struct PySessionManager {
    pub inner: Arc<SessionManager>,
}

fn session(py: Python<'_>, s: sessionward::Session) -> PyResult<Py<PySession>> {
    Py::new(py, PySession { inner: s })
}

#[pymethods]
impl PySessionManager {
    #[new]
    #[pyo3(signature = (
        *, issuer, audience, store = None, algorithm = "EdDSA", keys = None, shared_keys = true,
        rotate_keys_every = None, publish_keys_ahead = 600, key_sync_interval = 60,
        access_ttl = 900, idle_timeout = 14 * 86_400, absolute_lifetime = 30 * 86_400, grace_period = 60,
        leeway = 30, max_access_token_bytes = 3800, max_data_bytes = 65_536, front_token_claims = Vec::new(),
        max_sessions_per_user = None, on_theft = None, now = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        issuer: String,
        audience: String,
        store: Option<&Bound<'_, PyAny>>,
        algorithm: &str,
        keys: Option<Vec<PyRef<'_, PyKey>>>,
        shared_keys: bool,
        rotate_keys_every: Option<i64>,
        publish_keys_ahead: i64,
        key_sync_interval: i64,
        access_ttl: i64,
        idle_timeout: i64,
        absolute_lifetime: i64,
        grace_period: i64,
        leeway: i64,
        max_access_token_bytes: usize,
        max_data_bytes: usize,
        front_token_claims: Vec<String>,
        max_sessions_per_user: Option<usize>,
        on_theft: Option<Py<PyAny>>,
        now: Option<f64>,
    ) -> PyResult<Self> {
        let store: Arc<dyn SessionStore> = match store {
            Some(store) => extract_store(store)?,
            None => Arc::new(py.detach(|| sessionward::SqliteStore::open("sessionward.sqlite3")).py_err()?),
        };
        let mut config = Config::new(issuer, audience);
        config.access_ttl = access_ttl;
        config.idle_timeout = idle_timeout;
        config.absolute_lifetime = absolute_lifetime;
        config.grace_period = grace_period;
        config.leeway = leeway;
        config.max_access_token_bytes = max_access_token_bytes;
        config.max_data_bytes = max_data_bytes;
        config.front_token_claims = front_token_claims;
        config.max_sessions_per_user = max_sessions_per_user;
        config.keys.algorithm = algorithm.parse().py_err()?;
        config.keys.shared = shared_keys;
        config.keys.rotate_every = rotate_keys_every;
        config.keys.publish_ahead = publish_keys_ahead;
        config.keys.sync_interval = key_sync_interval;
        if let Some(callback) = on_theft {
            config.on_theft = Some(Arc::new(move |event: &sessionward::TheftEvent| {
                // Called from a thread without the GIL; a failing callback must not break the refresh.
                Python::attach(|py| {
                    let dict = PyDict::new(py);
                    let call = dict
                        .set_item("session_handle", &event.session_handle)
                        .and_then(|_| dict.set_item("user_id", &event.user_id))
                        .and_then(|_| dict.set_item("detected_at", event.detected_at))
                        .and_then(|_| callback.call1(py, (dict,)));
                    if let Err(err) = call {
                        err.write_unraisable(py, Some(callback.bind(py)));
                    }
                })
            }));
        }
        let manager = match keys {
            Some(keys) => {
                let mut ring = KeyRing::new();
                for key in keys {
                    ring.add(key.inner.clone(), i64::MIN).py_err()?;
                }
                SessionManager::with_key_ring(config, store, ring).py_err()?
            }
            None => py.detach(|| SessionManager::new(config, store)).py_err()?,
        };
        // The first key of a new ring signs from `now`, so tests that pass a fixed `now` pass it here too.
        let now = now_or_clock(py, now)?;
        let manager = Arc::new(manager);
        let m = manager.clone();
        py.detach(|| m.ensure_keys(now)).py_err()?;
        Ok(Self { inner: manager })
    }

    /// Verify an access token offline. Raises `TryRefreshError` when expired, `UnauthorisedError` otherwise.
    #[pyo3(signature = (token, *, now = None))]
    fn verify(&self, py: Python<'_>, token: &str, now: Option<f64>) -> PyResult<PyAccessClaims> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        Ok(PyAccessClaims { inner: py.detach(|| inner.verify(token, now)).py_err()? })
    }

    /// `verify`, then check the session is still alive in the store (for sensitive routes).
    #[pyo3(signature = (token, *, now = None))]
    fn verify_with_store(
        &self,
        py: Python<'_>,
        token: &str,
        now: Option<f64>,
    ) -> PyResult<(PyAccessClaims, Py<PySession>)> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        let (claims, s) = py.detach(|| inner.verify_with_store(token, now)).py_err()?;
        Ok((PyAccessClaims { inner: claims }, session(py, s)?))
    }

    /// Sign a user in: a new session and its first tokens.
    #[pyo3(signature = (user_id, *, access_claims = None, data = None, user_agent = None, ip = None, device = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_session(
        &self,
        py: Python<'_>,
        user_id: String,
        access_claims: Option<&Bound<'_, PyAny>>,
        data: Option<&Bound<'_, PyAny>>,
        user_agent: Option<String>,
        ip: Option<String>,
        device: Option<String>,
        now: Option<f64>,
    ) -> PyResult<PyIssuedTokens> {
        let now = now_or_clock(py, now)?;
        let new = NewSession {
            user_id,
            access_claims: to_json_object(access_claims, "access_claims")?,
            data: data.map(to_json).transpose()?.unwrap_or(serde_json::Value::Null),
            metadata: SessionMetadata { user_agent, ip, device },
        };
        let inner = &self.inner;
        let issued = py.detach(|| inner.create_session(new, now)).py_err()?;
        PyIssuedTokens::new(py, issued)
    }

    /// Rotate a refresh token: new access and refresh tokens. Raises `TokenTheftError` on replay.
    #[pyo3(signature = (refresh_token, *, now = None))]
    fn refresh(&self, py: Python<'_>, refresh_token: &str, now: Option<f64>) -> PyResult<PyIssuedTokens> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        let issued = py.detach(|| inner.refresh(refresh_token, now)).py_err()?;
        PyIssuedTokens::new(py, issued)
    }

    /// Revoke one session; returns whether it existed.
    fn revoke(&self, py: Python<'_>, session_handle: &str) -> PyResult<bool> {
        let inner = &self.inner;
        py.detach(|| inner.revoke(session_handle)).py_err()
    }

    /// Revoke the session a refresh token belongs to; returns whether one was revoked.
    fn revoke_by_refresh_token(&self, py: Python<'_>, refresh_token: &str) -> PyResult<bool> {
        let inner = &self.inner;
        py.detach(|| inner.revoke_by_refresh_token(refresh_token)).py_err()
    }

    /// Revoke every session of a user except `keep`; returns how many.
    #[pyo3(signature = (user_id, *, keep = None))]
    fn revoke_all(&self, py: Python<'_>, user_id: &str, keep: Option<&str>) -> PyResult<u64> {
        let inner = &self.inner;
        py.detach(|| inner.revoke_all(user_id, keep)).py_err()
    }

    /// A user's live sessions, oldest first.
    #[pyo3(signature = (user_id, *, now = None))]
    fn list_sessions(&self, py: Python<'_>, user_id: &str, now: Option<f64>) -> PyResult<Vec<Py<PySession>>> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        let sessions = py.detach(|| inner.list_sessions(user_id, now)).py_err()?;
        sessions.into_iter().map(|s| session(py, s)).collect()
    }

    /// One live session, or `None`.
    #[pyo3(signature = (session_handle, *, now = None))]
    fn get_session(&self, py: Python<'_>, session_handle: &str, now: Option<f64>) -> PyResult<Option<Py<PySession>>> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        py.detach(|| inner.get_session(session_handle, now)).py_err()?.map(|s| session(py, s)).transpose()
    }

    /// Replace a session's server-side data.
    #[pyo3(signature = (session_handle, data, *, now = None))]
    fn update_session_data(
        &self,
        py: Python<'_>,
        session_handle: &str,
        data: &Bound<'_, PyAny>,
        now: Option<f64>,
    ) -> PyResult<Py<PySession>> {
        let now = now_or_clock(py, now)?;
        let data = to_json(data)?;
        let inner = &self.inner;
        session(py, py.detach(|| inner.update_session_data(session_handle, data, now)).py_err()?)
    }

    /// Replace a session's access claims (in tokens minted from now on).
    #[pyo3(signature = (session_handle, claims, *, now = None))]
    fn update_access_claims(
        &self,
        py: Python<'_>,
        session_handle: &str,
        claims: &Bound<'_, PyAny>,
        now: Option<f64>,
    ) -> PyResult<Py<PySession>> {
        let now = now_or_clock(py, now)?;
        let claims = to_json_object(Some(claims), "claims")?;
        let inner = &self.inner;
        session(py, py.detach(|| inner.update_access_claims(session_handle, claims, now)).py_err()?)
    }

    /// A new access token for a live session from its current claims (no refresh rotation).
    #[pyo3(signature = (session_handle, *, now = None))]
    fn regenerate_access_token(
        &self,
        py: Python<'_>,
        session_handle: &str,
        now: Option<f64>,
    ) -> PyResult<PyAccessToken> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        Ok(PyAccessToken { inner: py.detach(|| inner.regenerate_access_token(session_handle, now)).py_err()? })
    }

    /// Delete expired sessions and drop retired keys; returns how many sessions.
    #[pyo3(signature = (*, now = None))]
    fn purge_expired(&self, py: Python<'_>, now: Option<f64>) -> PyResult<u64> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        py.detach(|| inner.purge_expired(now)).py_err()
    }

    /// The public JWKS as a dict (`{"keys": [...]}`).
    fn jwks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        match self.inner.jwks() {
            serde_json::Value::Object(map) => to_py_dict(py, &map),
            _ => Ok(PyDict::new(py)),
        }
    }

    /// Start a key rotation; returns the new `kid`.
    #[pyo3(signature = (*, now = None))]
    fn rotate_keys(&self, py: Python<'_>, now: Option<f64>) -> PyResult<String> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        py.detach(|| inner.rotate_keys(now)).py_err()
    }

    /// Revoke a signing key now; returns false for an unknown kid.
    #[pyo3(signature = (kid, *, now = None))]
    fn revoke_key(&self, py: Python<'_>, kid: &str, now: Option<f64>) -> PyResult<bool> {
        let now = now_or_clock(py, now)?;
        let inner = &self.inner;
        py.detach(|| inner.revoke_key(kid, now)).py_err()
    }

    /// Reload a shared key ring from the store.
    fn sync_keys(&self, py: Python<'_>) -> PyResult<()> {
        let inner = &self.inner;
        py.detach(|| inner.sync_keys()).py_err()
    }

    /// The issuer.
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.config().issuer
    }
    /// The audience.
    #[getter]
    fn audience(&self) -> &str {
        &self.inner.config().audience
    }
    /// Access token lifetime in seconds.
    #[getter]
    fn access_ttl(&self) -> i64 {
        self.inner.config().access_ttl
    }
}
