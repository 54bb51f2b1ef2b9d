//! `HttpSessions`: how sessions travel over HTTP. Framework integrations hand it raw header values.

use crate::claims;
use crate::convert::{self, Options};
use crate::errors::{IntoJs, range_error};
use crate::manager::SessionManager;
use crate::task::Op;
use crate::types::{AccessToken, IssuedTokens};
use napi::bindgen_prelude::{AsyncTask, ClassInstance, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use sessionward::transport::{CookieConfig, CsrfProtection, SameSite};
use sessionward::{RequestHeaders, TransportMode};
use std::sync::Arc;

/// Options of `new HttpSessions(...)`; the defaults are the Python package's.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct HttpSessionsOptions {
    /// Where tokens travel (default `cookie`).
    #[napi(ts_type = "TransportModeName")]
    pub mode: Option<String>,
    /// Access cookie name (default `sw_access`).
    pub access_cookie: Option<String>,
    /// Refresh cookie name (default `sw_refresh`).
    pub refresh_cookie: Option<String>,
    /// Front cookie name (default `sw_front`).
    pub front_cookie: Option<String>,
    /// Cookie `Domain` (default none: host-only cookies).
    pub domain: Option<String>,
    /// Cookie `Secure` (default true).
    pub secure: Option<bool>,
    /// Cookie `SameSite` (default `lax`).
    #[napi(ts_type = "SameSiteName")]
    pub same_site: Option<String>,
    /// Path of the access and front cookies (default `/`).
    pub access_path: Option<String>,
    /// Path of the refresh cookie: mount the refresh route there (default `/auth/refresh`).
    pub refresh_path: Option<String>,
    /// Use `__Host-`/`__Secure-` cookie name prefixes (default false).
    pub host_prefix: Option<bool>,
    /// CSRF protection of cookie-borne requests (default `double_submit`).
    #[napi(ts_type = "CsrfName")]
    pub csrf: Option<String>,
    /// The request header carrying the CSRF token (default `x-csrf-token`).
    pub csrf_header: Option<String>,
}

/// Where tokens travel.
#[napi(string_enum = "lowercase", js_name = "TransportModeName")]
pub enum Mode {
    /// Browser apps: httpOnly cookies, CSRF-checked.
    Cookie,
    /// Mobile and service clients: `Authorization: Bearer` and tokens in bodies.
    Header,
    /// Accept both.
    Both,
}

/// Cookie `SameSite` values.
#[napi(string_enum = "lowercase", js_name = "SameSiteName")]
pub enum SameSiteName {
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=None` (needs `secure`).
    None,
}

/// CSRF protections.
#[napi(string_enum = "snake_case", js_name = "CsrfName")]
pub enum CsrfName {
    /// The CSRF header must equal the token in the front cookie.
    DoubleSubmit,
    /// The CSRF header must merely be present (browsers refuse it cross-site without CORS).
    CustomHeader,
    /// No CSRF check (for apps that do their own).
    None,
}

/// The request headers of `authenticate`: raw values as received.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct AuthenticateRequest {
    /// The HTTP method.
    pub method: String,
    /// The `Cookie` header.
    pub cookie: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The CSRF header (named by `csrfHeader`).
    pub csrf: Option<String>,
    /// Unix time in seconds (default the system clock).
    pub now: Option<f64>,
}

/// The request of `refresh` and `logout`: raw header values, and the body's refresh token in header mode.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct TokenRequest {
    /// The HTTP method (default `POST`).
    pub method: Option<String>,
    /// The `Cookie` header.
    pub cookie: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The CSRF header (named by `csrfHeader`).
    pub csrf: Option<String>,
    /// The refresh token from the JSON body (header and both modes).
    pub body_token: Option<String>,
    /// Unix time in seconds (default the system clock).
    pub now: Option<f64>,
}

/// A request's header values, owned so they can go to the thread pool.
struct Request {
    method: String,
    cookie: Option<String>,
    authorization: Option<String>,
    csrf: Option<String>,
    body_token: Option<String>,
    now: i64,
}

impl Request {
    fn read(env: &Env, value: Option<Unknown<'_>>, default_method: Option<&str>) -> Result<Self> {
        let options = Options::new(env, value, "request")?;
        let method = match (options.get("method")?, default_method) {
            (Some(v), _) => convert::string(env, v, "method")?,
            (None, Some(m)) => m.to_owned(),
            (None, None) => convert::string(env, convert::required(env, None, "method", "a string")?, "method")?,
        };
        Ok(Self {
            method,
            cookie: convert::opt_string(env, options.get("cookie")?, "cookie")?,
            authorization: convert::opt_string(env, options.get("authorization")?, "authorization")?,
            csrf: convert::opt_string(env, options.get("csrf")?, "csrf")?,
            body_token: convert::opt_string(env, options.get("bodyToken")?, "bodyToken")?,
            now: options.now(env)?,
        })
    }

    fn headers(&self) -> RequestHeaders<'_> {
        RequestHeaders {
            method: &self.method,
            cookie: self.cookie.as_deref(),
            authorization: self.authorization.as_deref(),
            csrf: self.csrf.as_deref(),
        }
    }
}

fn choice<T>(env: &Env, options: &Options<'_>, name: &str, default: T, values: &[(&str, T)]) -> Result<T>
where
    T: Copy,
{
    let Some(value) = options.get(name)? else { return Ok(default) };
    let text = convert::string(env, value, name)?;
    match values.iter().find(|(n, _)| *n == text) {
        Some((_, v)) => Ok(*v),
        None => {
            let names: Vec<String> = values.iter().map(|(n, _)| format!("'{n}'")).collect();
            Err(range_error(env, format!("{name} must be one of {}, got {text:?}", names.join(", "))))
        }
    }
}

fn text(env: &Env, options: &Options<'_>, name: &str, default: &str) -> Result<String> {
    Ok(convert::opt_string(env, options.get(name)?, name)?.unwrap_or_else(|| default.into()))
}

fn flag(env: &Env, options: &Options<'_>, name: &str, default: bool) -> Result<bool> {
    options.get(name)?.map_or(Ok(default), |v| convert::boolean(env, v, name))
}

fn manager<'a>(env: &Env, value: Unknown<'a>) -> Result<ClassInstance<'a, SessionManager>> {
    convert::instance(env, value, "manager", "a SessionManager")
}

/// Transport settings: mode, cookie names and attributes, CSRF protection.
#[napi]
pub struct HttpSessions {
    inner: Arc<sessionward::HttpSessions>,
}

#[derive(Clone, Copy)]
enum Csrf {
    DoubleSubmit,
    CustomHeader,
    Off,
}

#[napi]
impl HttpSessions {
    /// Transport settings; every option defaults as in the Python package.
    #[napi(constructor, ts_args_type = "options?: HttpSessionsOptions")]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> Result<Self> {
        let options = Options::new(&env, options, "options")?;
        let mode = choice(
            &env,
            &options,
            "mode",
            TransportMode::Cookie,
            &[("cookie", TransportMode::Cookie), ("header", TransportMode::Header), ("both", TransportMode::Both)],
        )?;
        let same_site = choice(
            &env,
            &options,
            "sameSite",
            SameSite::Lax,
            &[("lax", SameSite::Lax), ("strict", SameSite::Strict), ("none", SameSite::None)],
        )?;
        let csrf_kind = choice(
            &env,
            &options,
            "csrf",
            Csrf::DoubleSubmit,
            &[("double_submit", Csrf::DoubleSubmit), ("custom_header", Csrf::CustomHeader), ("none", Csrf::Off)],
        )?;
        let header = text(&env, &options, "csrfHeader", "x-csrf-token")?.to_ascii_lowercase();
        let csrf = match csrf_kind {
            Csrf::DoubleSubmit => CsrfProtection::DoubleSubmit { header },
            Csrf::CustomHeader => CsrfProtection::CustomHeader { header },
            Csrf::Off => CsrfProtection::None,
        };
        let cookies = CookieConfig {
            access_name: text(&env, &options, "accessCookie", "sw_access")?,
            refresh_name: text(&env, &options, "refreshCookie", "sw_refresh")?,
            front_name: text(&env, &options, "frontCookie", "sw_front")?,
            domain: convert::opt_string(&env, options.get("domain")?, "domain")?,
            secure: flag(&env, &options, "secure", true)?,
            same_site,
            access_path: text(&env, &options, "accessPath", "/")?,
            refresh_path: text(&env, &options, "refreshPath", "/auth/refresh")?,
            host_prefix: flag(&env, &options, "hostPrefix", false)?,
        };
        let inner = sessionward::HttpSessions { mode, cookies, csrf };
        inner.validate().js(&env)?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The transport mode.
    #[napi(getter, ts_return_type = "TransportModeName")]
    pub fn mode(&self) -> &'static str {
        match self.inner.mode {
            TransportMode::Cookie => "cookie",
            TransportMode::Header => "header",
            TransportMode::Both => "both",
        }
    }

    /// The request header carrying the CSRF token, or `null` when CSRF checks are off.
    #[napi(getter)]
    pub fn csrf_header(&self) -> Option<&str> {
        self.inner.csrf.header_name()
    }

    /// The path the refresh cookie is scoped to (mount the refresh route there).
    #[napi(getter)]
    pub fn refresh_path(&self) -> &str {
        &self.inner.cookies.refresh_path
    }

    /// The effective access cookie name (with `__Host-` under `hostPrefix`).
    #[napi(getter)]
    pub fn access_cookie(&self) -> String {
        self.inner.cookies.access_cookie_name()
    }

    /// The effective refresh cookie name (with `__Secure-` under `hostPrefix`).
    #[napi(getter)]
    pub fn refresh_cookie(&self) -> String {
        self.inner.cookies.refresh_cookie_name()
    }

    /// The effective front cookie name.
    #[napi(getter)]
    pub fn front_cookie(&self) -> String {
        self.inner.cookies.front_cookie_name()
    }

    /// Verify a request's access token, synchronously (and, for a cookie-borne token on a state-changing
    /// method, its CSRF header). No token: `unauthorised` with reason `Missing`.
    #[napi(
        ts_args_type = "manager: SessionManager, request: AuthenticateRequest",
        ts_return_type = "import('./claims').AccessClaims"
    )]
    pub fn authenticate(&self, env: Env, manager: Unknown<'_>, request: Unknown<'_>) -> Result<Unknown<'static>> {
        let manager = self::manager(&env, manager)?;
        let request = convert::required(&env, Some(request), "request", "an object")?;
        let request = Request::read(&env, Some(request), None)?;
        let claims = self.inner.authenticate(&manager.inner, &request.headers(), request.now).js(&env)?;
        claims::to_js(&env, claims)
    }

    /// Handle a refresh request: the refresh cookie (CSRF-checked) or `bodyToken` in header mode.
    #[napi(ts_args_type = "manager: SessionManager, request?: TokenRequest", ts_return_type = "Promise<IssuedTokens>")]
    pub fn refresh(
        &self,
        env: Env,
        manager: Unknown<'_>,
        request: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<IssuedTokens>>> {
        let manager = self::manager(&env, manager)?;
        let request = Request::read(&env, request, Some("POST"))?;
        let (http, m) = (self.inner.clone(), manager.inner.clone());
        Ok(Op::spawn(&manager.thefts, move || {
            http.refresh(&m, &request.headers(), request.body_token.as_deref(), request.now)
                .map(|inner| IssuedTokens { inner })
        }))
    }

    /// `refresh`, synchronously.
    #[napi(ts_args_type = "manager: SessionManager, request?: TokenRequest")]
    pub fn refresh_sync(&self, env: Env, manager: Unknown<'_>, request: Option<Unknown<'_>>) -> Result<IssuedTokens> {
        let manager = self::manager(&env, manager)?;
        let request = Request::read(&env, request, Some("POST"))?;
        Op::run(&env, &manager.thefts, || {
            self.inner
                .refresh(&manager.inner, &request.headers(), request.body_token.as_deref(), request.now)
                .map(|inner| IssuedTokens { inner })
        })
    }

    /// Handle a sign-out request; whether a session was revoked. Send `clearCookies()` then. A request
    /// carrying no token at all is refused (`unauthorised`, reason `Missing`): leave its cookies alone.
    #[napi(ts_args_type = "manager: SessionManager, request?: TokenRequest", ts_return_type = "Promise<boolean>")]
    pub fn logout(&self, env: Env, manager: Unknown<'_>, request: Option<Unknown<'_>>) -> Result<AsyncTask<Op<bool>>> {
        let manager = self::manager(&env, manager)?;
        let request = Request::read(&env, request, Some("POST"))?;
        let (http, m) = (self.inner.clone(), manager.inner.clone());
        Ok(Op::spawn(&manager.thefts, move || {
            http.logout(&m, &request.headers(), request.body_token.as_deref(), request.now)
        }))
    }

    /// `logout`, synchronously.
    #[napi(ts_args_type = "manager: SessionManager, request?: TokenRequest")]
    pub fn logout_sync(&self, env: Env, manager: Unknown<'_>, request: Option<Unknown<'_>>) -> Result<bool> {
        let manager = self::manager(&env, manager)?;
        let request = Request::read(&env, request, Some("POST"))?;
        Op::run(&env, &manager.thefts, || {
            self.inner.logout(&manager.inner, &request.headers(), request.body_token.as_deref(), request.now)
        })
    }

    /// `Set-Cookie` values for sign-in or refresh (empty in header mode).
    #[napi(ts_args_type = "issued: IssuedTokens, options?: NowOptions")]
    pub fn session_cookies(&self, env: Env, issued: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Vec<String>> {
        let issued: ClassInstance<IssuedTokens> = convert::instance(&env, issued, "issued", "an IssuedTokens")?;
        let now = convert::now_option(&env, options)?;
        self.inner.session_cookies(&issued.inner, now).js(&env)
    }

    /// `Set-Cookie` values after `regenerateAccessToken` (empty in header mode).
    #[napi(ts_args_type = "access: AccessToken, sessionExpiresAt: number, options?: NowOptions")]
    pub fn access_cookies(
        &self,
        env: Env,
        access: Unknown<'_>,
        session_expires_at: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Vec<String>> {
        let access: ClassInstance<AccessToken> = convert::instance(&env, access, "access", "an AccessToken")?;
        let expires = convert::integer(&env, session_expires_at, "sessionExpiresAt", -(1 << 50), 1 << 50)?;
        let now = convert::now_option(&env, options)?;
        self.inner.access_cookies(&access.inner, expires, now).js(&env)
    }

    /// `Set-Cookie` values deleting the session cookies (empty in header mode).
    #[napi]
    pub fn clear_cookies(&self) -> Vec<String> {
        self.inner.clear_cookies()
    }
}
