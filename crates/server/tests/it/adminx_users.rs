//! The community's users over a real server: creating them (with the password extension),
//! paging, filtering and counting, finding, changing details and roles, locking.

use reqwest::Method;
use serde_json::{Value, json};

use crate::adminx_client::{Community, Vendor, community, error};
use crate::harness::{Resp, TestServer};

const PASSWORD: &str = "User-Pass-77";

fn new_user(c: &Community, username: &str, role: &str) -> Value {
    json!({
        "moduleId": c.module_id, "username": username, "status": "active", "role": role,
        "firstname": "Ann", "middlename": "B", "lastname": username, "email1": format!("{username}@example.com"),
        "phone1": "+15551234567", "password": PASSWORD,
    })
}

async fn create(srv: &TestServer, c: &Community, body: Value) -> Resp {
    c.admin.call(srv, Method::PUT, "/users/create", Some(body)).await
}

async fn signed_in(srv: &TestServer, c: &Community, username: &str) -> Vendor {
    let mut v = Vendor::new(srv).await;
    let r = v.post(srv, "/verifyuser", c.with(json!({ "username": username, "password": PASSWORD }))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    v.jwt = r.json()["jwt_token"].as_str().map(str::to_string);
    v
}

crate::both!(users_are_created_in_the_db_module_and_sign_in, |srv: TestServer| async move {
    let c = community(&srv, "users.example.com").await;
    let r = create(&srv, &c, new_user(&c, "Carol", "basic")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!((j["requested"].as_i64(), j["created"].as_i64(), j["failed"].as_i64()), (Some(1), Some(1), Some(0)));
    assert_eq!((j["user"]["username"].as_str(), j["user"]["role"].as_str()), (Some("carol"), Some("basic")));
    signed_in(&srv, &c, "carol").await;
    // Without a password a user exists but cannot sign in until one is set.
    let mut body = new_user(&c, "dave", "basic");
    body.as_object_mut().unwrap().remove("password");
    assert_eq!(create(&srv, &c, body).await.status, 200);
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "dave", "password": PASSWORD }))).await;
    error(&r, 401);
    let users_before = srv.stored_texts("SELECT id FROM users").await.len();
    // Each required field, malformed values, taken names: 4xx and nothing written.
    for field in ["moduleId", "username", "status", "role", "firstname", "lastname", "email1"] {
        let mut body = new_user(&c, "erin", "basic");
        body.as_object_mut().unwrap().remove(field);
        assert_eq!(error(&create(&srv, &c, body).await, 400), format!("\"{field}\" is required"));
    }
    for (field, value, status) in [
        ("email1", json!("not-an-address"), 400),
        ("role", json!("root"), 400),
        ("status", json!("sleeping"), 400),
        ("phone1", json!("call me"), 400),
        ("password", json!("short"), 400),
        ("password", json!("Erin-Pass-123"), 400),
        ("moduleId", json!("nope"), 404),
        ("username", json!("carol"), 409),
        ("email1", json!("carol@example.com"), 409),
        ("firstname", json!(7), 400),
    ] {
        let mut body = new_user(&c, "erin", "basic");
        body[field] = value.clone();
        let r = create(&srv, &c, body).await;
        error(&r, status);
        if field == "password" && value == json!("Erin-Pass-123") {
            assert!(error(&r, 400).contains("username"), "the policy refuses the username in the password: {}", r.text());
        }
    }
    assert_eq!(srv.stored_texts("SELECT id FROM users").await.len(), users_before, "nothing written by refused creates");
    // Only administrators create users; only a tenant_admin makes tenant_admins.
    let carol = signed_in(&srv, &c, "carol").await;
    let r = carol.call(&srv, Method::PUT, "/users/create", Some(new_user(&c, "frank", "basic"))).await;
    error(&r, 403);
    create(&srv, &c, new_user(&c, "cadmin", "community_admin")).await;
    let cadmin = signed_in(&srv, &c, "cadmin").await;
    let r = cadmin.call(&srv, Method::PUT, "/users/create", Some(new_user(&c, "boss", "tenant_admin"))).await;
    error(&r, 403);
    let r = cadmin.call(&srv, Method::PUT, "/users/create", Some(new_user(&c, "gina", "helpdesk"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let created = srv.stored_texts("SELECT action FROM audit_log WHERE action = 'E_USER_CREATED'").await;
    assert_eq!(created.len(), 4);
});

crate::both!(users_are_paged_filtered_sorted_counted_and_found, |srv: TestServer| async move {
    let c = community(&srv, "pages.example.com").await;
    for name in ["amy", "bob", "cat", "dan"] {
        assert_eq!(create(&srv, &c, new_user(&c, name, "basic")).await.status, 200);
    }
    let a = &c.admin;
    async fn page_of(srv: &TestServer, c: &Community, body: Value) -> Value {
        c.admin.open(&c.admin.post(srv, "/users/fetch", c.with(body)).await)
    }
    let first = page_of(&srv, &c, json!({ "moduleId": c.module_id, "pSize": 2, "pIndex": 0 })).await;
    assert_eq!(first["page"], json!({ "pSize": 2, "pIndex": 0, "total": 5 }));
    let names =
        |p: &Value| p["data"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&first), ["admin", "amy"]);
    assert_eq!(names(&page_of(&srv, &c, json!({ "moduleId": c.module_id, "pSize": 2, "pIndex": 2 })).await), ["dan"]);
    let desc = page_of(&srv, &c, json!({ "moduleId": c.module_id, "sort": [{ "field": "username", "order": "desc" }] })).await;
    assert_eq!(names(&desc)[0], "dan");
    let one = page_of(&srv, &c, json!({ "moduleId": c.module_id, "sort": { "field": "createdAt", "order": "desc" } })).await;
    assert_eq!(names(&one)[0], "dan", "one {{field, order}} object sorts too");
    let filtered = page_of(&srv, &c, json!({ "moduleId": c.module_id, "query": { "search": "B" } })).await;
    assert_eq!(names(&filtered), ["bob"]);
    let admins =
        page_of(&srv, &c, json!({ "moduleId": c.module_id, "query": { "role": "tenant_admin" }, "attributes": ["role"] })).await;
    assert_eq!(admins["data"], json!([{ "uid": c.admin_uid, "username": "admin", "role": "tenant_admin" }]));
    for (body, status) in [
        (json!({ "moduleId": c.module_id, "pSize": 101 }), 400),
        (json!({ "moduleId": c.module_id, "pIndex": -1 }), 400),
        (json!({ "moduleId": c.module_id, "query": { "shoe_size": "9" } }), 400),
        (json!({ "moduleId": c.module_id, "query": "bob" }), 400),
        (json!({}), 400),
        (json!({ "moduleId": "0190f0f0-0000-7000-8000-000000000000" }), 404),
    ] {
        error(&a.post(&srv, "/users/fetch", c.with(body)).await, status);
    }
    error(&a.post(&srv, "/users/fetch", json!({ "moduleId": c.module_id })).await, 400);
    let count =
        a.post(&srv, "/users/count", c.with(json!({ "moduleId": c.module_id, "query": { "search": "an" } }))).await.json();
    assert_eq!((count["type"].as_str(), count["count"].as_i64()), (Some("db"), Some(1)), "{count}");
    let all = a.open(&a.post(&srv, "/users/countAll", c.with(json!({ "moduleId": c.module_id }))).await);
    assert_eq!(all["count"], 5);
    // Finding a user (the login page, no token): masked addresses and a user_token.
    let v = Vendor::new(&srv).await;
    let found = v.post(&srv, "/users/find", c.with(json!({ "email": "BOB@example.com" }))).await.json();
    let u = &found["users"][0];
    assert_eq!((u["username"].as_str(), u["email1"].as_str()), (Some("bob"), Some("b***@example.com")), "{found}");
    assert!(u["user_token"].is_string() && u["email1Hash"].as_str().unwrap().len() == 64);
    assert_eq!(v.post(&srv, "/users/find", c.with(json!({ "username": "zed" }))).await.json()["users"], json!([]));
    error(&v.post(&srv, "/users/find", c.with(json!({}))).await, 400);
    // Another community's administrator never sees these users.
    let other = community(&srv, "else.example.com").await;
    let r = other.admin.post(&srv, "/users/fetch", c.with(json!({ "moduleId": c.module_id }))).await;
    assert_eq!(error(&r, 404), "Community not found");
});

crate::both!(administrators_change_users_roles_and_locks, |srv: TestServer| async move {
    let c = community(&srv, "change.example.com").await;
    create(&srv, &c, new_user(&c, "hank", "basic")).await;
    create(&srv, &c, new_user(&c, "desk", "helpdesk")).await;
    let a = &c.admin;
    let r = a
        .call(
            &srv,
            Method::PATCH,
            "/users/user/update",
            Some(c.with(json!({ "username": "hank", "middlename": "", "firstname": "Henry", "phone1": "" }))),
        )
        .await;
    let u = r.json();
    assert_eq!(
        (r.status, u["firstname"].as_str(), u["middlename"].as_str(), u["phone1"].as_str()),
        (200, Some("Henry"), Some(""), Some("")),
        "{u}"
    );
    error(&a.call(&srv, Method::PATCH, "/users/user/update", Some(c.with(json!({ "username": "nobody" })))).await, 404);
    error(
        &a.call(&srv, Method::PATCH, "/users/user/update", Some(c.with(json!({ "username": "hank", "email2": "bad" })))).await,
        400,
    );
    let role =
        |old: &str, new: &str| c.with(json!({ "moduleId": c.module_id, "username": "hank", "oldRole": old, "newRole": new }));
    let r = a.call(&srv, Method::PATCH, "/users/user/role/update", Some(role("helpdesk", "community_admin"))).await;
    assert!(error(&r, 400).contains("oldRole"));
    let r = a.call(&srv, Method::PATCH, "/users/user/role/update", Some(role("basic", "helpdesk"))).await;
    assert_eq!(r.json()["status"], "success");
    let r = a.call(&srv, Method::PATCH, "/users/user/role/update", Some(role("helpdesk", "basic"))).await;
    assert_eq!(r.json()["status"], "success");
    let changed = srv.stored_texts("SELECT action FROM audit_log WHERE action = 'E_ROLE_CHANGED'").await;
    assert_eq!(changed.len(), 2);
    // Help desk locks and unlocks; a locked user cannot sign in and its sessions end.
    let hank = signed_in(&srv, &c, "hank").await;
    let desk = signed_in(&srv, &c, "desk").await;
    let r = desk.post(&srv, "/users/user/lock", json!({ "username": "hank", "lock_duration": 30 })).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = hank.post(&srv, "/users/user/profile/fetch", json!({})).await;
    error(&r, 401);
    let v = Vendor::new(&srv).await;
    let r = v.post(&srv, "/verifyuser", c.with(json!({ "username": "hank", "password": PASSWORD }))).await;
    assert_eq!(error(&r, 401), "User is locked");
    let listed =
        a.open(&a.post(&srv, "/users/fetch", c.with(json!({ "moduleId": c.module_id, "query": { "username": "hank" } }))).await);
    assert_eq!((listed["data"][0]["status"].as_str(), listed["data"][0]["isLocked"].as_bool()), (Some("locked"), Some(true)));
    error(&desk.post(&srv, "/users/user/lock", json!({ "username": "hank" })).await, 400);
    error(&desk.post(&srv, "/users/user/lock", json!({ "username": "hank", "lock_duration": "soon" })).await, 400);
    assert_eq!(desk.post(&srv, "/users/user/unlock", json!({ "username": "hank" })).await.status, 204);
    let hank = signed_in(&srv, &c, "hank").await;
    // A basic user may not lock anyone, and reads only their own detailed profile.
    error(&hank.post(&srv, "/users/user/lock", json!({ "username": "desk", "lock_duration": 5 })).await, 403);
    let me = hank.open(&hank.post(&srv, "/users/user/profile/fetch", json!({ "attributes": ["firstname"] })).await);
    assert_eq!(me, json!({ "uid": me["uid"], "username": "hank", "firstname": "Henry" }));
    let detail = hank
        .post(&srv, "/users/user/detailProfile/fetch", c.with(json!({ "moduleId": c.module_id, "user": { "username": "hank" } })))
        .await;
    assert_eq!(detail.json()["email"], "hank@example.com");
    let r = hank
        .post(&srv, "/users/user/detailProfile/fetch", c.with(json!({ "moduleId": c.module_id, "user": { "username": "desk" } })))
        .await;
    error(&r, 403);
    let ip = hank.open(&hank.call(&srv, Method::GET, "/users/user/ip", None).await);
    assert_eq!(ip["ip"], "127.0.0.1");
    // Ending a user's sessions, and the caller's other ones.
    let r = a
        .call(&srv, Method::DELETE, "/loginsessions/admin/user/all", Some(json!({ "username": "hank", "moduleId": c.module_id })))
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    error(&hank.post(&srv, "/users/user/profile/fetch", json!({})).await, 401);
    let second = signed_in(&srv, &c, "desk").await;
    assert_eq!(
        desk.call(&srv, Method::DELETE, "/loginsessions/user/other", Some(json!({ "username": "desk" }))).await.status,
        204
    );
    error(&second.post(&srv, "/users/user/profile/fetch", json!({})).await, 401);
    assert_eq!(desk.post(&srv, "/users/user/profile/fetch", json!({})).await.status, 200, "the caller's own session stays");
});

crate::both!(nobody_acts_on_a_user_who_outranks_them, |srv: TestServer| async move {
    let c = community(&srv, "ranks.example.com").await;
    for (name, role) in [("carl", "community_admin"), ("hana", "helpdesk"), ("bo", "basic")] {
        assert_eq!(create(&srv, &c, new_user(&c, name, role)).await.status, 200);
    }
    let carl = signed_in(&srv, &c, "carl").await;
    let hana = signed_in(&srv, &c, "hana").await;
    // A community admin may not demote, edit, lock or invite the tenant admin.
    let demote = c.with(json!({ "username": "admin", "role": "basic" }));
    assert!(error(&carl.call(&srv, Method::PATCH, "/users/user/update", Some(demote)).await, 403).contains("tenant_admin"));
    let email = c.with(json!({ "username": "admin", "email1": "carl@evil.example" }));
    error(&carl.call(&srv, Method::PATCH, "/users/user/update", Some(email)).await, 403);
    let role = c.with(json!({ "username": "admin", "oldRole": "tenant_admin", "newRole": "basic" }));
    error(&carl.call(&srv, Method::PATCH, "/users/user/role/update", Some(role)).await, 403);
    error(&hana.post(&srv, "/users/user/lock", json!({ "username": "admin", "lock_duration": 60 })).await, 403);
    error(&hana.post(&srv, "/users/user/lock", json!({ "username": "carl", "lock_duration": 60 })).await, 403);
    let invite = c.with(json!({ "uid": c.admin_uid, "emailTo": "carl@evil.example", "firstname": "A", "lastname": "B" }));
    error(&carl.call(&srv, Method::PUT, "/users/invite", Some(invite)).await, 403);
    error(&carl.call(&srv, Method::DELETE, "/loginsessions/admin/user/all", Some(json!({ "username": "admin" }))).await, 403);
    // Within their reach they may.
    assert_eq!(hana.post(&srv, "/users/user/lock", json!({ "username": "bo", "lock_duration": 5 })).await.status, 204);
    let edit = c.with(json!({ "username": "bo", "email1": "bo.new@example.com" }));
    let r = carl.call(&srv, Method::PATCH, "/users/user/update", Some(edit)).await;
    assert_eq!((r.status, r.json()["email1_verified"].as_bool()), (200, Some(false)), "a new address is not a confirmed one");
    // An invitation cannot set the password of a user who has one (no takeover by invitation).
    let invite = c.with(json!({ "uid": r.json()["uid"], "emailTo": "carl@evil.example", "firstname": "B", "lastname": "O" }));
    let code = carl.call(&srv, Method::PUT, "/users/invite", Some(invite)).await.json()["code"].as_str().unwrap().to_string();
    let v = Vendor::new(&srv).await;
    let token = v.post(&srv, "/password_reset/user/fetch", c.with(json!({ "code": code }))).await.json()["user_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = v
        .post(&srv, "/password_reset", c.with(json!({ "code": code, "user_token": token, "newPassword": "Taken-Over-99" })))
        .await;
    assert!(error(&r, 400).contains("has a password already"));
    // A basic user may count, not probe addresses with a filter.
    let bo = {
        assert_eq!(carl.post(&srv, "/users/user/unlock", json!({ "username": "bo" })).await.status, 204);
        signed_in(&srv, &c, "bo").await
    };
    assert_eq!(bo.post(&srv, "/users/count", c.with(json!({ "moduleId": c.module_id }))).await.json()["count"], 4);
    error(&bo.post(&srv, "/users/count", c.with(json!({ "moduleId": c.module_id, "query": { "search": "adm" } }))).await, 403);
});
