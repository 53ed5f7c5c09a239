//! `/api/v2/auth/identity/…`: sign-up, e-mail confirmation, password reset and sessions.

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use keyhall_core::ErrorCode;
use keyhall_core::auth::action_tokens::{ActionTokenError, Purpose, TokenHolder};
use keyhall_core::auth::login::LoginRefusal;
use keyhall_core::auth::sessions::OpenedSession;
use keyhall_core::auth::{DeviceToken, ExternalIdentity};
use keyhall_core::credentials::PasswordPolicy;
use keyhall_core::identity::registration::{Registration, check_user_data, check_username};
use keyhall_core::identity::users::{USER_UID_PREFIX, UserStatus};
use serde_json::Value;

use crate::State;
use crate::entities::{facts, user_with_full_info};
use crate::errors::{BarongError, Result};
use crate::params::Input;
use crate::session::{Client, device_cookie, expired_cookie, session_cookie};

/// Opens a session for `user` and answers `status` with the full user and its csrf token.
async fn with_new_session(
    state: &State,
    client: &Client,
    user: &keyhall_core::identity::users::User,
    status: StatusCode,
) -> Result<Response> {
    let opened = state.core.auth().open_session(user, &client.origin()).await.map_err(BarongError::internal)?;
    session_answer(state, user, &opened, None, None, status).await
}

/// The answer to a request that opened a session: the session cookie, the device token when
/// the client signed in, and the full user with its csrf token. `otp` is the user's 2FA state
/// when the caller already knows it.
async fn session_answer(
    state: &State,
    user: &keyhall_core::identity::users::User,
    opened: &OpenedSession,
    otp: Option<bool>,
    device: Option<&DeviceToken>,
    status: StatusCode,
) -> Result<Response> {
    let f = facts(&state.core, user, otp).await?;
    let body = user_with_full_info(user, &f, Some(&opened.session.csrf_token));
    let config = &state.config;
    let session = session_cookie(config, opened.secret.expose(), state.core.settings().session_max_lifetime);
    let mut response = (status, [(header::SET_COOKIE, session)], axum::Json(body)).into_response();
    if let Some(device) = device {
        response.headers_mut().append(header::SET_COOKIE, device_cookie(config, device));
    }
    Ok(response)
}

pub async fn sign_up(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.user").requires_filled("email").requires_filled("password").finish()?;
    client.refuse_cross_site("identity.user")?;
    state.captcha.verify(&p).await?;
    let core = &state.core;
    let tenant = state.config.tenant_id;
    let referral = match p.text("refid") {
        None => None,
        Some(refid) => {
            if !refid.starts_with(USER_UID_PREFIX) {
                return Err(BarongError::new(422, "identity.user.invalid_referral_format"));
            }
            match core.identity().user_by_uid(tenant, &refid).await.map_err(BarongError::internal)? {
                Some(u) => Some(u.id),
                None => return Err(BarongError::new(422, "identity.user.referral_doesnt_exist")),
            }
        }
    };
    // Model validation, in Barong's order, every failure listed.
    let mut errors: Vec<String> = Vec::new();
    let data = match p.text("data") {
        Some(d) => match check_user_data(&d) {
            Ok(d) => Some(d),
            Err(reason) => {
                errors.push(crate::errors::violation(&reason));
                None
            }
        },
        None => None,
    };
    let email_text = p.text("email").unwrap_or_default();
    let email = keyhall_types::Email::parse(&email_text).ok();
    match &email {
        None => errors.push("email.invalid".into()),
        Some(e) => {
            if core.identity().user_by_email(tenant, e.as_str()).await.map_err(BarongError::internal)?.is_some() {
                errors.push("email.taken".into());
            }
        }
    }
    let username = match p.text("username") {
        Some(u) => match check_username(&u) {
            Ok(u) => Some(u),
            Err(reasons) => {
                errors.extend(reasons.iter().map(crate::errors::violation));
                None
            }
        },
        None => None,
    };
    let password = p.text("password").unwrap_or_default();
    if let Err(e) = PasswordPolicy::BARONG.check("password", &password) {
        errors.push(if e.code == ErrorCode::PasswordWeak { "password.weak".into() } else { "password.requirements".into() });
    }
    if !errors.is_empty() {
        return Err(BarongError::many(422, errors));
    }
    let registration = Registration {
        email: email.expect("checked above"),
        password,
        username,
        referral,
        data,
        first_user_is_superadmin: state.config.first_registration_superadmin,
    };
    let user = core.identity().register_user(tenant, registration, &client.origin()).await.map_err(|e| match e.code {
        ErrorCode::EmailTaken => BarongError::new(422, "email.taken"),
        ErrorCode::UsernameTaken => BarongError::new(422, "username.taken"),
        ErrorCode::RequestsLimited => too_many_requests(&e),
        _ => e.into(),
    })?;
    if user.status == UserStatus::Pending {
        core.identity().request_email_verification(&user, client.origin()).await.map_err(BarongError::internal)?;
    }
    with_new_session(&state, &client, &user, StatusCode::CREATED).await
}

/// Whitelists the caller's address with a whitelist link an administrator handed out
/// (`keyhall barong whitelink`); restrictions then no longer apply to it.
pub async fn access(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.user").requires_filled("whitelink_token").finish()?;
    let tenant = state.config.tenant_id;
    let caller = state.core.auth().visitor(tenant, client.origin());
    let token = p.text("whitelink_token").unwrap_or_default();
    state.core.auth().use_whitelink(&caller, &token).await.map_err(|e| match e.code {
        ErrorCode::WhitelinkInvalid => BarongError::new(422, "identity.user.access.invalid_token"),
        ErrorCode::RestrictionTaken => BarongError::new(422, "value.taken"),
        _ => e.into(),
    })?;
    Ok(StatusCode::CREATED.into_response())
}

/// A Geetest challenge for the sign-up widget (an empty string when Geetest cannot be asked).
pub async fn register_geetest(AxumState(state): AxumState<State>) -> Response {
    axum::Json(state.captcha.register_geetest().await).into_response()
}

pub async fn email_generate_code(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.user").requires_filled("email").finish()?;
    state.captcha.verify(&p).await?;
    let email = p.text("email").unwrap_or_default();
    // Unknown and already active addresses get the same answer: no enumeration.
    mailed_code(&state, &email, Purpose::Confirmation, &client).await
}

/// Asks for a code to be mailed (201 whether the address is known or not); too many asks
/// from one client address are 429 `identity.user.too_many_requests`.
async fn mailed_code(state: &State, email: &str, purpose: Purpose, client: &Client) -> Result<Response> {
    state.core.identity().request_mailed_code(state.config.tenant_id, email, purpose, client.origin()).await.map_err(
        |e| match e.code {
            ErrorCode::RequestsLimited => too_many_requests(&e),
            _ => e.into(),
        },
    )?;
    Ok(StatusCode::CREATED.into_response())
}

/// 429 `identity.user.too_many_requests`, with the time to wait.
fn too_many_requests(e: &keyhall_core::DomainError) -> BarongError {
    BarongError::new(429, "identity.user.too_many_requests").retry_after(e.retry_after)
}

fn token_error(e: ActionTokenError) -> BarongError {
    match e {
        ActionTokenError::Jwt(reason) => BarongError::new(422, format!("jwt.decode_and_verify.{reason}")),
        ActionTokenError::Utilized => BarongError::new(422, "identity.user.utilized_token"),
    }
}

/// Confirms the address a mailed token was sent to. Unlike Barong, confirming opens no session
/// (holding a mailed link is not signing in): a browser that already holds the user's session
/// (the one sign-up opened) keeps it and gets its csrf token back; any other signs in.
pub async fn email_confirm_code(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Input { p, client }: Input,
) -> Result<Response> {
    p.checker("identity.user").requires_filled("token").finish()?;
    client.refuse_cross_site("identity.user")?;
    let core = &state.core;
    let token = p.text("token").unwrap_or_default();
    let holder = core
        .auth()
        .action_token_holder(state.config.tenant_id, &token, Purpose::Confirmation, client.origin())
        .await
        .map_err(BarongError::internal)?
        .map_err(token_error)?;
    let Some(TokenHolder { user, caller, jti }) = holder.filter(|h| h.user.status != UserStatus::Active) else {
        return Err(BarongError::new(422, "identity.user.active_or_doesnt_exist"));
    };
    core.auth()
        .consume_action_token(user.id, Purpose::Confirmation, &jti)
        .await
        .map_err(BarongError::internal)?
        .map_err(token_error)?;
    let user =
        core.identity().set_private_label(&caller, &user, "email", Some("verified")).await.map_err(BarongError::internal)?;
    let own_session = match crate::session::cookie(&headers, &state.config.session_cookie) {
        Some(secret) => core.auth().resolve_session(&secret, client.info.ip, client.origin()).await.ok(),
        None => None,
    };
    let csrf = own_session.filter(|(s, _)| s.user_id == user.id).map(|(s, _)| s.csrf_token);
    let f = facts(core, &user, None).await?;
    Ok((StatusCode::CREATED, axum::Json(user_with_full_info(&user, &f, csrf.as_deref()))).into_response())
}

pub async fn password_generate_code(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.user").requires_filled("email").finish()?;
    state.captcha.verify(&p).await?;
    let email = p.text("email").unwrap_or_default();
    mailed_code(&state, &email, Purpose::Reset, &client).await
}

pub async fn password_confirm_code(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.user")
        .requires_filled_as(
            "reset_password_token",
            "identity.user.missing_pass_token",
            "identity.user.empty_reset_password_token",
        )
        .requires_filled("password")
        .requires_filled("confirm_password")
        .finish()?;
    let password = p.text("password").unwrap_or_default();
    if Some(&password) != p.text("confirm_password").as_ref() {
        return Err(BarongError::new(422, "identity.user.passwords_doesnt_match"));
    }
    let core = &state.core;
    let token = p.text("reset_password_token").unwrap_or_default();
    let TokenHolder { user, caller, jti } = core
        .auth()
        .action_token_holder(state.config.tenant_id, &token, Purpose::Reset, client.origin())
        .await
        .map_err(BarongError::internal)?
        .map_err(token_error)?
        .ok_or_else(|| BarongError::new(422, "identity.user.utilized_token"))?;
    // A too-weak password does not burn the token: check it first.
    PasswordPolicy::BARONG.check("password", &password)?;
    core.auth().consume_action_token(user.id, Purpose::Reset, &jti).await.map_err(BarongError::internal)?.map_err(token_error)?;
    core.credentials().set_password(&caller, &user, &password, &PasswordPolicy::BARONG, None).await?;
    Ok(StatusCode::CREATED.into_response())
}

pub async fn session_create(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Input { p, client }: Input,
) -> Result<Response> {
    p.checker("identity.session").requires("email").requires("password").finish()?;
    client.refuse_cross_site("identity.session")?;
    if let Some(v) = p.value("captcha_response")
        && !(v.is_string() || v.is_object())
    {
        return Err(BarongError::new(422, "identity.session.invalid_captcha_format"));
    }
    state.captcha.verify(&p).await?;
    let outcome = state
        .core
        .auth()
        .password_sign_in(
            state.config.tenant_id,
            &p.text("email").unwrap_or_default(),
            &p.text("password").unwrap_or_default(),
            p.text("otp_code").as_deref(),
            crate::session::cookie(&headers, &state.config.device_cookie).as_deref(),
            &client.origin(),
        )
        .await?;
    match outcome {
        Ok(signed_in) => {
            let device = Some(&signed_in.device);
            session_answer(&state, &signed_in.user, &signed_in.session, Some(signed_in.has_totp), device, StatusCode::OK).await
        }
        Err(LoginRefusal::Locked { until }) => Err(BarongError::too_many_attempts(until - state.core.now())),
        Err(LoginRefusal::InvalidCredentials) => Err(BarongError::new(401, "identity.session.invalid_params")),
        Err(LoginRefusal::Status(UserStatus::Banned)) => Err(BarongError::new(401, "identity.session.banned")),
        Err(LoginRefusal::Status(UserStatus::Deleted)) => Err(BarongError::new(401, "identity.session.deleted")),
        Err(LoginRefusal::Status(_)) => Err(BarongError::new(401, "identity.session.not_active")),
        Err(LoginRefusal::MissingOtp) => Err(BarongError::new(401, "identity.session.missing_otp")),
        Err(LoginRefusal::InvalidOtp) => Err(BarongError::new(403, "identity.session.invalid_otp")),
    }
}

pub async fn session_destroy(AxumState(state): AxumState<State>, client: Client, headers: HeaderMap) -> Result<Response> {
    let not_found = || BarongError::new(404, "identity.session.not_found");
    let secret = crate::session::cookie(&headers, &state.config.session_cookie).ok_or_else(not_found)?;
    state.core.auth().close_session(&secret, &client.origin()).await.map_err(BarongError::internal)?.ok_or_else(not_found)?;
    Ok((StatusCode::OK, [(header::SET_COOKIE, expired_cookie(&state.config))]).into_response())
}

/// Signs in with an Auth0 ID token. An unknown address with `email_verified` becomes a new
/// active user; a token that does not verify (or no Auth0 configured) is refused.
/// Signs in with an Auth0 ID token. The Auth0 identity (issuer and subject) is linked to a
/// user at its first sign-in: the user with the token's address, or a new active user, only
/// when Auth0 says it verified the address. The user's TOTP is asked (`otp_code`) and the
/// account's lock applies, as for a password sign-in.
pub async fn session_auth0(AxumState(state): AxumState<State>, Input { p, client }: Input) -> Result<Response> {
    p.checker("identity.session").requires_filled("id_token").finish()?;
    client.refuse_cross_site("identity.session")?;
    let invalid = |status| BarongError::new(status, "identity.session.auth0.invalid_params");
    let auth0 = state.auth0.as_ref().ok_or_else(|| invalid(422))?;
    let claims = auth0.verify(&p.text("id_token").unwrap_or_default(), state.core.now()).await.ok_or_else(|| invalid(422))?;
    let text = |name| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let identity = ExternalIdentity {
        issuer: text("iss").ok_or_else(|| invalid(422))?,
        subject: text("sub").filter(|s| !s.is_empty()).ok_or_else(|| invalid(422))?,
        email: text("email"),
        email_verified: claims.get("email_verified").and_then(Value::as_bool).unwrap_or(false),
    };
    let outcome = state
        .core
        .auth()
        .external_sign_in(state.config.tenant_id, &identity, p.text("otp_code").as_deref(), &client.origin())
        .await
        .map_err(BarongError::internal)?;
    match outcome {
        Ok(signed_in) => {
            let device = Some(&signed_in.device);
            session_answer(&state, &signed_in.user, &signed_in.session, Some(signed_in.has_totp), device, StatusCode::CREATED)
                .await
        }
        Err(LoginRefusal::Locked { until }) => Err(BarongError::too_many_attempts(until - state.core.now())),
        Err(LoginRefusal::InvalidCredentials | LoginRefusal::Status(_)) => Err(invalid(401)),
        Err(LoginRefusal::MissingOtp) => Err(BarongError::new(401, "identity.session.missing_otp")),
        Err(LoginRefusal::InvalidOtp) => Err(BarongError::new(403, "identity.session.invalid_otp")),
    }
}
