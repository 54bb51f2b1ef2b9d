//! `sessionward._native`: the PyO3 glue over the `sessionward` core. One file per core concept; no logic.

mod convert;
mod errors;
mod http;
mod keys;
mod manager;
mod store;
mod types;

use pyo3::prelude::*;

/// The native half of the `sessionward` Python package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<manager::PySessionManager>()?;
    m.add_class::<http::PyHttpSessions>()?;
    m.add_class::<keys::PyKey>()?;
    m.add_class::<store::PyMemoryStore>()?;
    m.add_class::<store::PySqliteStore>()?;
    m.add_class::<store::PyPostgresStore>()?;
    m.add_class::<store::PyRedisStore>()?;
    m.add_class::<store::PyRedisClusterStore>()?;
    m.add_class::<types::PyAccessClaims>()?;
    m.add_class::<types::PySession>()?;
    m.add_class::<types::PyAccessToken>()?;
    m.add_class::<types::PyIssuedTokens>()?;
    m.add("ERROR_CODES", sessionward::Error::CODES.to_vec())?;
    let reasons: Vec<String> = sessionward::UnauthorisedReason::ALL.iter().map(|r| format!("{r:?}")).collect();
    m.add("UNAUTHORISED_REASONS", reasons)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
