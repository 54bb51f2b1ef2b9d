//! The one conversion from `sessionward::Error` to the Python exceptions of `sessionward.errors`.

use pyo3::PyErr;
use sessionward::Error;

pyo3::import_exception!(sessionward.errors, TryRefreshError);
pyo3::import_exception!(sessionward.errors, UnauthorisedError);
pyo3::import_exception!(sessionward.errors, TokenTheftError);
pyo3::import_exception!(sessionward.errors, InvalidClaimError);
pyo3::import_exception!(sessionward.errors, InvalidArgumentError);
pyo3::import_exception!(sessionward.errors, ConfigurationError);
pyo3::import_exception!(sessionward.errors, StoreUnavailableError);

/// Map a core error to its Python exception; the message is the core's, which never contains a secret.
pub fn to_py(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::TryRefresh => TryRefreshError::new_err((message,)),
        Error::Unauthorised { reason } => UnauthorisedError::new_err((message, format!("{reason:?}"))),
        Error::TokenTheft { session_handle, user_id } => TokenTheftError::new_err((message, session_handle, user_id)),
        Error::InvalidClaim { claim, .. } => InvalidClaimError::new_err((message, claim)),
        Error::InvalidArgument(_) => InvalidArgumentError::new_err((message,)),
        Error::Config(_) => ConfigurationError::new_err((message,)),
        Error::StoreUnavailable(_) => StoreUnavailableError::new_err((message,)),
        _ => StoreUnavailableError::new_err((message,)),
    }
}

/// `Result` into `PyResult`.
pub trait IntoPy<T> {
    /// Convert the error side.
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for sessionward::Result<T> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
