//! Barong's entities as JSON, key for key and in its order.

use keyhall_core::Core;
use keyhall_core::audit::AuditEvent;
use keyhall_core::auth::api_keys::ApiKey;
use keyhall_core::identity::labels::{Label, level};
use keyhall_core::identity::phones::{PhoneView, mask_number};
use keyhall_core::identity::profiles::{Profile, mask_dob, mask_last_name};
use keyhall_core::identity::users::User;
use keyhall_types::rfc3339;
use serde_json::{Map, Value, json};

use crate::errors::{BarongError, Result};

pub fn label(l: &Label) -> Value {
    json!({
        "key": l.key,
        "value": l.value,
        "scope": l.scope.as_str(),
        "created_at": rfc3339(l.created_at),
        "updated_at": rfc3339(l.updated_at),
    })
}

pub fn api_key(k: &ApiKey, secret: Option<&str>) -> Value {
    let mut v = json!({
        "kid": k.kid,
        "algorithm": k.algorithm,
        "scope": k.scope,
        "state": k.state.as_str(),
    });
    if let Some(s) = secret {
        v["secret"] = Value::String(s.to_string());
    }
    v["created_at"] = Value::String(rfc3339(k.created_at));
    v["updated_at"] = Value::String(rfc3339(k.updated_at));
    v
}

/// `Profile`, masked as Barong shows it to its owner (last name and day of birth).
pub fn profile(p: &Profile) -> Value {
    let d = &p.details;
    json!({
        "first_name": d.first_name,
        "last_name": d.last_name.as_deref().map(mask_last_name),
        "dob": d.dob.map(mask_dob),
        "address": d.address,
        "postcode": d.postcode,
        "city": d.city,
        "country": d.country,
        "state": p.state.as_str(),
        "metadata": d.metadata,
        "created_at": rfc3339(p.created_at),
        "updated_at": rfc3339(p.updated_at),
    })
}

/// `Phone`, with the number masked; `validated_at` carries milliseconds as Rails prints them.
pub fn phone(p: &PhoneView) -> Value {
    let validated = p.validated_at.map(|at| rfc3339(at).replace('Z', ".000Z"));
    json!({ "country": p.country, "number": mask_number(&p.number), "validated_at": validated })
}

/// What every user entity shows, computed once.
pub struct UserFacts {
    pub level: i64,
    pub otp: bool,
    pub referral_uid: Option<String>,
    pub labels: Vec<Label>,
    pub data_storages: Vec<keyhall_core::barong::data_storage::DataStorage>,
    pub phones: Vec<PhoneView>,
    pub profiles: Vec<Profile>,
}

/// Reads what the user entity shows; `otp` is the user's 2FA state when the caller already
/// knows it (a sign-in read it with the password).
pub async fn facts(core: &Core, user: &User, otp: Option<bool>) -> Result<UserFacts> {
    // Independent reads, asked at once (on different connections).
    let otp = async {
        match otp {
            Some(otp) => Ok(otp),
            None => core.credentials().has_totp(user.id).await,
        }
    };
    let referral_uid = async {
        match user.referral_id {
            Some(r) => Ok(core.identity().find_user(user.tenant_id, &r.to_string()).await?.map(|u| u.uid)),
            None => Ok(None),
        }
    };
    let (labels, otp, referral_uid, data_storages, phones, profiles) = tokio::try_join!(
        core.identity().labels(user.id),
        otp,
        referral_uid,
        core.barong().data_storages(user.id),
        core.identity().phones(user.id),
        core.identity().profiles(user.id)
    )
    .map_err(BarongError::internal)?;
    Ok(UserFacts { level: level(&labels), otp, referral_uid, labels, data_storages, phones, profiles })
}

fn base(user: &User, f: &UserFacts) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("email".into(), json!(user.email));
    m.insert("uid".into(), json!(user.uid));
    m.insert("role".into(), json!(user.role));
    m.insert("level".into(), json!(f.level));
    m.insert("otp".into(), json!(f.otp));
    m.insert("state".into(), json!(user.status.as_str()));
    m.insert("referral_uid".into(), json!(f.referral_uid));
    m.insert("data".into(), json!(user.data));
    m
}

/// `API_V2_Entities_UserWithFullInfo`, with `csrf_token` when a session was just opened.
pub fn user_with_full_info(user: &User, f: &UserFacts, csrf_token: Option<&str>) -> Value {
    let mut m = base(user, f);
    if let Some(t) = csrf_token {
        m.insert("csrf_token".into(), json!(t));
    }
    m.insert("username".into(), json!(user.username));
    m.insert("labels".into(), Value::Array(f.labels.iter().map(label).collect()));
    m.insert("phones".into(), Value::Array(f.phones.iter().map(phone).collect()));
    m.insert("profiles".into(), Value::Array(f.profiles.iter().map(profile).collect()));
    m.insert(
        "data_storages".into(),
        Value::Array(
            f.data_storages
                .iter()
                .map(|d| json!({ "title": d.title, "data": d.data, "created_at": rfc3339(d.created_at), "updated_at": rfc3339(d.updated_at) }))
                .collect(),
        ),
    );
    m.insert("created_at".into(), json!(rfc3339(user.created_at)));
    m.insert("updated_at".into(), json!(rfc3339(user.updated_at)));
    Value::Object(m)
}

/// The activity topics of audit actions, as Barong groups them.
pub fn topic(action: &str) -> &'static str {
    if action.starts_with("session.") {
        "session"
    } else if action.starts_with("mfa.") {
        "otp"
    } else if action.contains("password") {
        "password"
    } else if action.starts_with("api_key.") {
        "api_keys"
    } else {
        "account"
    }
}

/// `API_V2_Entities_Activity`, from an audit record.
pub fn activity(e: &AuditEvent, n: usize) -> Value {
    let failed = e.action.ends_with("_failed");
    json!({
        "id": n,
        "user_ip": e.ip,
        "user_ip_country": "",
        "user_agent": e.user_agent,
        "topic": topic(&e.action),
        "action": e.action,
        "result": if failed { "failed" } else { "succeed" },
        "data": e.details.get("reason").map(|r| json!({ "reason": r }).to_string()),
        "created_at": rfc3339(e.at),
    })
}
