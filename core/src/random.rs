//! Randomness straight from the operating system.
//!
//! Every call asks the kernel (`getrandom(2)`), so there is no user-space generator state that a forked
//! worker (gunicorn, uvicorn, cluster) could copy and repeat.

use crate::error::{Error, Result};

/// `N` bytes from the OS CSPRNG.
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| Error::Config(format!("the OS random source failed: {e}")))?;
    Ok(out)
}

/// `N` random bytes as unpadded base64url text.
pub(crate) fn token<const N: usize>() -> Result<String> {
    Ok(crate::encoding::b64_encode(bytes::<N>()?))
}
