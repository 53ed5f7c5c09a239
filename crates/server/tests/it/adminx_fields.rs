//! Every operation of the face's table, with each of its required fields left out in turn,
//! answers 400 naming that field (the table is the OpenAPI document's, checked against the
//! routes): the documented contract and the handlers agree.

use keyhall_core::adminx::document_schemas::READABLE;
use keyhall_core::adminx::documents::{DocumentSchema, Kind};
use keyhall_face_adminx::openapi::{Access, OPERATIONS};
use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{ADMIN, Community, Vendor, community};
use crate::harness::TestServer;

/// A valid value of a configuration document's field, by its kind.
fn sample(kind: Kind) -> Value {
    match kind {
        Kind::Bool => json!(false),
        Kind::Text { .. } | Kind::Secret => json!("x1"),
        Kind::Int { min, .. } => json!(min),
        Kind::OneOf(choices) => json!(choices[0]),
        Kind::TextList { .. } => json!([]),
        Kind::Color => json!("#123456"),
        Kind::Image => json!("https://cdn.example.com/logo.png"),
        Kind::Url => json!("https://example.com/"),
        Kind::Pem => json!("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"),
        Kind::Object(fields) => Value::Object(fields.iter().map(|f| (f.name.to_string(), sample(f.kind))).collect()),
        Kind::ObjectList { .. } => json!([]),
        Kind::Json => json!({}),
    }
}

/// The kind of a field of the configuration document an operation writes, if it is one.
fn document_field(op_path: &str, field: &str) -> Option<Kind> {
    use keyhall_core::adminx::document_schemas::{BRANDING, IDP_CONFIG, PASSWORDLESS};
    let mut schemas: Vec<&DocumentSchema> = READABLE.to_vec();
    schemas.extend([&IDP_CONFIG, &BRANDING, &PASSWORDLESS]);
    let name = op_path.trim_start_matches("/config/authentication/").trim_start_matches("/config/").trim_start_matches('/');
    let schema = schemas.iter().find(|s| name == s.key || (s.key == "idp_config" && name == "idp_config"))?;
    schema.fields.iter().find(|f| f.name == field).map(|f| f.kind)
}

/// A plausible value for a field, so that only the missing one is wrong.
fn value_for(c: &Community, field: &str, op_path: &str) -> Value {
    if let Some(kind) = document_field(op_path, field) {
        return sample(kind);
    }
    match field {
        "tenantId" => json!(c.tenant_id),
        "dns" => json!(c.dns),
        "communityName" => json!("default"),
        "key_paths" => json!([]),
        "keySize" => json!(2048),
        "authScheme" => json!(["push"]),
        "serviceUrl" => json!("smtp://127.0.0.1:2525"),
        "software" => json!(["radius"]),
        "os" => json!(["linux"]),
        "channels" => json!(["sms"]),
        "senderPhone" => json!("+15551234567"),
        "decision" => json!({ "action": "allow" }),
        "expirationDays" => json!(30),
        "algorithm" => json!("sha256"),
        "communityId" => json!(c.community_id),
        "moduleId" | "authModuleId" => json!(c.module_id),
        "uid" | "objectId" => json!(c.admin_uid),
        "subjectId" => json!(c.community_id),
        "objectType" => json!("user"),
        "subjectType" => json!("community"),
        "username" | "userId" => json!(ADMIN),
        "user" => json!({ "username": ADMIN }),
        "isEnabled" | "allowed" | "show_otp_email" | "show_otp_phone" | "show_otp_voice" | "show_otp_hardware" => json!(false),
        "validitySeconds" => json!(300),
        "lock_duration" => json!(5),
        "attributes" | "modules" => json!([]),
        "serviceName" => json!("1KosmosHelpdeskAdminCode"),
        "pin" => json!("12345678"),
        "newPin" => json!("1234"),
        "type" if op_path.starts_with("/auth_modules") => json!("ldap"),
        "type" => json!("biometric"),
        "deliveryMethod" => json!("email"),
        "email" | "email1" | "emailTo" | "destination" => json!("someone@example.com"),
        "status" => json!("active"),
        "role" => json!("basic"),
        "reports_type" => json!("hardware_tokens"),
        "metricsName" => json!("M_C_LOGINS"),
        "oldRole" | "newRole" => json!("basic"),
        _ => json!("x1"),
    }
}

crate::both!(each_required_field_left_out_is_named_in_a_400, |srv: TestServer| async move {
    let c = community(&srv, "fields.example.com").await;
    let mut v = Vendor::new(&srv).await;
    v.jwt = c.admin.jwt.clone();
    v.license = Some(c.license_key.clone());
    let mut checked = 0;
    for op in OPERATIONS.iter().filter(|o| !o.required.is_empty()) {
        let path = op.path.replace("{moduleId}", &c.module_id).replace("{method}", "encrypt");
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        for missing in op.required {
            let mut body = serde_json::Map::new();
            for field in op.required.iter().filter(|f| *f != missing) {
                body.insert((*field).to_string(), value_for(&c, field, op.path));
            }
            let body = Value::Object(body);
            let r = if op.access == Access::Open {
                TestServer::send(srv.client.request(method.clone(), srv.url(&format!("/adminapi{path}"))).json(&body)).await
            } else {
                v.call(&srv, method.clone(), &path, Some(body)).await
            };
            let expected = format!("\"{missing}\" is required");
            let message = serde_json::from_slice::<Value>(&r.body).ok().and_then(|j| j["message"].as_str().map(str::to_string));
            assert!(
                r.status == 400 && message.as_deref() == Some(expected.as_str()),
                "{} {path} without {missing}: {} {}",
                op.method,
                r.status,
                r.text()
            );
            checked += 1;
        }
    }
    assert!(checked >= 140, "{checked} checks");
});

crate::both!(every_operation_refuses_a_caller_without_its_credentials, |srv: TestServer| async move {
    let c = community(&srv, "creds.example.com").await;
    let anonymous = Vendor::new(&srv).await;
    let mut checked = 0;
    for op in OPERATIONS {
        let path = op.path.replace("{moduleId}", &c.module_id).replace("{method}", "encrypt");
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let mut body = serde_json::Map::new();
        for field in op.required.iter().chain(op.optional) {
            body.insert((*field).to_string(), value_for(&c, field, op.path));
        }
        let body = (op.method != "get").then_some(Value::Object(body));
        let (status, what) = match op.access {
            Access::Jwt | Access::JwtLicense => (401, "authorization"),
            Access::License => (401, "licensekey"),
            Access::Open | Access::Envelope => continue,
        };
        let r = anonymous.call(&srv, method.clone(), &path, body.clone()).await;
        assert_eq!(r.status, status, "{} {path} without {what}: {}", op.method, r.text());
        // And without the envelope at all.
        let bare = TestServer::send(srv.client.request(method, srv.url(&format!("/adminapi{path}"))).json(&json!({}))).await;
        assert_eq!(bare.status, 401, "{} {path} without requestid: {}", op.method, bare.text());
        checked += 1;
    }
    assert!(checked >= 60, "{checked} checks");
});

crate::both!(administrators_operations_refuse_a_basic_user, |srv: TestServer| async move {
    let c = community(&srv, "basic.example.com").await;
    let user = json!({ "moduleId": c.module_id, "username": "plain", "status": "active", "role": "basic", "firstname": "P",
        "lastname": "L", "email1": "plain@example.com", "password": "Ordinary-Pass-4" });
    assert_eq!(c.admin.call(&srv, Method::PUT, "/users/create", Some(user)).await.status, 200);
    let mut basic = Vendor::new(&srv).await;
    let r = basic.post(&srv, "/verifyuser", c.with(json!({ "username": "plain", "password": "Ordinary-Pass-4" }))).await;
    basic.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    basic.license = Some(c.license_key.clone());
    let mut checked = 0;
    for op in OPERATIONS
        .iter()
        .filter(|o| o.summary.contains("administrators") || o.summary.contains("help desk") || o.summary.contains("superadmin"))
    {
        let path = op.path.replace("{moduleId}", &c.module_id);
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let mut body = serde_json::Map::new();
        for field in op.required.iter() {
            body.insert((*field).to_string(), value_for(&c, field, op.path));
        }
        let body = (op.method != "get").then_some(Value::Object(body));
        let r = basic.call(&srv, method, &path, body).await;
        assert_eq!(r.status, 403, "{} {path} as a basic user: {}", op.method, r.text());
        checked += 1;
    }
    assert!(checked >= 35, "{checked} checks");
});

crate::both!(a_required_field_of_the_wrong_type_is_a_client_error, |srv: TestServer| async move {
    let c = community(&srv, "types.example.com").await;
    let mut v = Vendor::new(&srv).await;
    v.jwt = c.admin.jwt.clone();
    v.license = Some(c.license_key.clone());
    let mut failures = Vec::new();
    for op in OPERATIONS.iter().filter(|o| !o.required.is_empty() && o.access != Access::Open) {
        let path = op.path.replace("{moduleId}", &c.module_id);
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        for wrong in op.required {
            let mut body = serde_json::Map::new();
            for field in op.required.iter() {
                let value = if field == wrong { json!([{ "not": "this" }]) } else { value_for(&c, field, op.path) };
                body.insert((*field).to_string(), value);
            }
            let r = v.call(&srv, method.clone(), &path, Some(Value::Object(body))).await;
            if !(400..500).contains(&r.status) {
                failures.push(format!("{} {path} with {wrong} an array: {} {}", op.method, r.status, r.text()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
});

/// Malformed values of every kind a careless or hostile client sends, each put in every field
/// (and path parameter) of an operation at once, so that no valid id is ever acted on.
fn malformed_values() -> Vec<(&'static str, Value)> {
    vec![
        ("an unknown uuid", json!("00000000-0000-4000-8000-000000000000")),
        ("an unknown 24-hex id", json!("5f0c1a2b3c4d5e6f7a8b9c0d")),
        ("an empty string", json!("")),
        ("a 5000-character string", json!("x".repeat(5000))),
        ("text with quotes and NUL", json!("a\"b'\u{0}c%00<x>")),
        ("a negative number", json!(-1)),
        ("a huge number", json!(1e300)),
        ("null", Value::Null),
        ("an object", json!({ "$ne": null })),
    ]
}

crate::both!(malformed_values_and_unknown_ids_are_client_errors_never_500, |srv: TestServer| async move {
    let c = community(&srv, "malformed.example.com").await;
    let mut v = Vendor::new(&srv).await;
    v.jwt = c.admin.jwt.clone();
    v.license = Some(c.license_key.clone());
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in OPERATIONS.iter().filter(|o| o.path != "/logout") {
        let fields: Vec<&str> = op.required.iter().chain(op.optional).copied().collect();
        if fields.is_empty() && !op.path.contains('{') {
            continue;
        }
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        for (what, value) in malformed_values() {
            let segment = match &value {
                Value::String(s) if !s.is_empty() => s.chars().take(200).collect(),
                _ => "-1".to_string(),
            };
            let segment: String = segment
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            let mut path = op.path.to_string();
            while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
                path.replace_range(open..=close, &segment);
            }
            let body: serde_json::Map<String, Value> = fields.iter().map(|f| ((*f).to_string(), value.clone())).collect();
            let body = (op.method != "get").then_some(Value::Object(body));
            let r = if op.access == Access::Open {
                let request = srv.client.request(method.clone(), srv.url(&format!("/adminapi{path}")));
                TestServer::send(match &body {
                    Some(b) => request.json(b),
                    None => request,
                })
                .await
            } else {
                v.call(&srv, method.clone(), &path, body).await
            };
            checked += 1;
            if r.status >= 500 {
                failures.push(format!("{} {} with {what}: {} {}", op.method, op.path, r.status, r.text()));
            } else if r.status >= 400 {
                let j: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                if j["statusCode"] != r.status || !j["message"].is_string() {
                    failures.push(format!(
                        "{} {} with {what}: {} not a 1Kosmos error: {}",
                        op.method,
                        op.path,
                        r.status,
                        r.text()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked >= 600, "{checked} checks");
    // The administrator's session outlived every one of them.
    let r = c.admin.call(&srv, Method::GET, "/users/user/ip", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
});
