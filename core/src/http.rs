//! HTTP glue shared by every framework integration: where a request's tokens are read from, the CSRF
//! check, and the cookies a response sets. The Python and Node integrations only translate their
//! framework's request and response to and from these calls.

use crate::UnixTime;
use crate::error::{Error, Result, UnauthorisedReason};
use crate::manager::{AccessToken, IssuedTokens, SessionManager};
use crate::token::AccessClaims;
use crate::transport::{CookieConfig, CsrfProtection, FrontToken, TokenSource, bearer_token, cookie_value};

/// How tokens travel between client and server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportMode {
    /// Browser apps: tokens in httpOnly cookies, CSRF checks on state-changing requests.
    #[default]
    Cookie,
    /// Mobile and service clients: `Authorization: Bearer` for the access token, the refresh token in the
    /// refresh request's body; tokens are returned in response bodies, no cookies are set.
    Header,
    /// Accept both; set cookies and also return tokens in bodies.
    Both,
}

impl TransportMode {
    fn cookies(self) -> bool {
        self != Self::Header
    }
    fn headers(self) -> bool {
        self != Self::Cookie
    }
}

/// The request headers sessionward reads (raw values, as received).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHeaders<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The CSRF header named by [`CsrfProtection::header_name`].
    pub csrf: Option<&'a str>,
}

/// Transport settings: mode, cookies, CSRF protection.
#[derive(Debug, Clone, Default)]
pub struct HttpSessions {
    /// Cookie, header or both.
    pub mode: TransportMode,
    /// Cookie names and attributes.
    pub cookies: CookieConfig,
    /// CSRF protection of cookie-mode requests.
    pub csrf: CsrfProtection,
}

impl HttpSessions {
    /// Check the settings (cookie attributes, CSRF header name).
    pub fn validate(&self) -> Result<()> {
        self.cookies.validate()?;
        if let Some(header) = self.csrf.header_name() {
            let ok = !header.is_empty() && header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(Error::Config(format!("CSRF header name {header:?} must be letters, digits and '-'")));
            }
        }
        Ok(())
    }

    /// The access token of a request and its source, as the mode allows.
    fn access_token<'a>(&self, request: &RequestHeaders<'a>) -> Option<(&'a str, TokenSource)> {
        if self.mode.headers()
            && let Some(token) = request.authorization.and_then(bearer_token)
        {
            return Some((token, TokenSource::Header));
        }
        if self.mode.cookies() {
            let name = self.cookies.access_cookie_name();
            if let Some(token) = request.cookie.and_then(|c| cookie_value(c, &name)).filter(|t| !t.is_empty()) {
                return Some((token, TokenSource::Cookie));
            }
        }
        None
    }

    /// Verify the access token of a request; for a cookie-borne token on a state-changing method, also the
    /// CSRF header. No token: [`Error::Unauthorised`] with reason `Missing`.
    pub fn authenticate(
        &self,
        manager: &SessionManager,
        request: &RequestHeaders<'_>,
        now: UnixTime,
    ) -> Result<AccessClaims> {
        let (token, source) = self.access_token(request).ok_or(Error::unauthorised(UnauthorisedReason::Missing))?;
        let claims = manager.verify(token, now)?;
        if source == TokenSource::Cookie {
            self.csrf.check_csrf(request.method, request.csrf, Some(&claims.token_id))?;
        }
        Ok(claims)
    }

    /// The CSRF check of a refresh or sign-out request carried by cookies, whatever its method: the header
    /// must match the front cookie's CSRF token (double submit) or merely be present (custom header).
    fn check_cookie_csrf(&self, request: &RequestHeaders<'_>) -> Result<()> {
        let front_name = self.cookies.front_cookie_name();
        let expected = request
            .cookie
            .and_then(|c| cookie_value(c, &front_name))
            .and_then(|f| FrontToken::decode(f).ok())
            .map(|f| f.csrf);
        self.csrf.check_csrf("POST", request.csrf, expected.as_deref())
    }

    /// The refresh token of a request: the refresh cookie (cookie mode, CSRF-checked) or `body_token`
    /// (header mode).
    fn refresh_token<'a>(&self, request: &RequestHeaders<'a>, body_token: Option<&'a str>) -> Result<Option<&'a str>> {
        if self.mode.headers()
            && let Some(token) = body_token.filter(|t| !t.is_empty())
        {
            return Ok(Some(token));
        }
        if self.mode.cookies() {
            let name = self.cookies.refresh_cookie_name();
            if let Some(token) = request.cookie.and_then(|c| cookie_value(c, &name)).filter(|t| !t.is_empty()) {
                self.check_cookie_csrf(request)?;
                return Ok(Some(token));
            }
        }
        Ok(None)
    }

    /// Handle a refresh request: rotate the refresh token found in the request.
    pub fn refresh(
        &self,
        manager: &SessionManager,
        request: &RequestHeaders<'_>,
        body_token: Option<&str>,
        now: UnixTime,
    ) -> Result<IssuedTokens> {
        let token = self.refresh_token(request, body_token)?.ok_or(Error::unauthorised(UnauthorisedReason::Missing))?;
        manager.refresh(token, now)
    }

    /// Handle a sign-out request: revoke the session named by the access token (even an expired one, if
    /// genuine) or by the refresh token. Returns whether a session was revoked; send
    /// [`HttpSessions::clear_cookies`] then. A request carrying no token at all is refused (unauthorised,
    /// reason `Missing`) and its cookies must be left alone: a cross-site form must not sign users out.
    pub fn logout(
        &self,
        manager: &SessionManager,
        request: &RequestHeaders<'_>,
        body_token: Option<&str>,
        now: UnixTime,
    ) -> Result<bool> {
        if let Some((token, source)) = self.access_token(request)
            && let Ok(claims) = manager.verify_for_logout(token, now)
        {
            if source == TokenSource::Cookie {
                self.csrf.check_csrf("POST", request.csrf, Some(&claims.token_id))?;
            }
            return manager.revoke(&claims.session_handle);
        }
        match self.refresh_token(request, body_token)? {
            Some(token) => manager.revoke_by_refresh_token(token),
            // No credential at all: refuse rather than answer "signed out", so a cross-site form (sent without
            // the SameSite cookies) cannot make the server delete the victim's cookies.
            None if self.access_token(request).is_none() => Err(Error::unauthorised(UnauthorisedReason::Missing)),
            None => Ok(false),
        }
    }

    /// `Set-Cookie` values for sign-in and refresh (none in header mode).
    pub fn session_cookies(&self, issued: &IssuedTokens, now: UnixTime) -> Result<Vec<String>> {
        if !self.mode.cookies() {
            return Ok(Vec::new());
        }
        let lifetime = issued.refresh_expires_at.saturating_sub(now).max(0);
        self.cookies.session_cookies(
            &issued.access.token,
            &issued.access.front_token,
            Some((&issued.refresh_token, issued.refresh_expires_at)),
            now,
            lifetime,
        )
    }

    /// `Set-Cookie` values after [`SessionManager::regenerate_access_token`] (access and front cookies only).
    pub fn access_cookies(
        &self,
        access: &AccessToken,
        session_expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<Vec<String>> {
        if !self.mode.cookies() {
            return Ok(Vec::new());
        }
        let lifetime = session_expires_at.saturating_sub(now).max(0);
        self.cookies.session_cookies(&access.token, &access.front_token, None, now, lifetime)
    }

    /// `Set-Cookie` values that delete the session cookies (none in header mode).
    pub fn clear_cookies(&self) -> Vec<String> {
        if self.mode.cookies() { self.cookies.clear_cookies() } else { Vec::new() }
    }
}
