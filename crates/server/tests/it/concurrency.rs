//! Concurrent writes never lose data: parallel creates each get their own row and id.

use std::collections::HashSet;

use crate::both;
use crate::harness::TestServer;

both!(fifty_parallel_license_creates, |srv: TestServer| async move {
    let c = srv.company("Parallel Ltd").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url, token) = (srv.client.clone(), srv.url("/api/v1/license/create_license"), c.token.clone());
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(token).form(&[("target_name", format!("server {i}"))]).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = r.json().await.unwrap();
            v["data"]["serial_number"].as_str().unwrap().to_string()
        }));
    }
    let mut returned = HashSet::new();
    for t in tasks {
        returned.insert(t.await.unwrap());
    }
    assert_eq!(returned.len(), 50);
    let listed = srv.post("/api/v1/license/list_licenses", &c.token, &[]).await.data();
    let listed: HashSet<String> =
        listed.as_array().unwrap().iter().map(|l| l["serial_number"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, returned);
    let names: HashSet<String> = srv
        .post("/api/v1/license/list_licenses", &c.token, &[])
        .await
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 50);
    let billing = srv.post("/api/v1/report/billing_history", &c.token, &[]).await.json();
    assert_eq!(billing.as_array().unwrap().len(), 50);
});

both!(parallel_user_creates_with_one_email_make_one_user, |srv: TestServer| async move {
    let c = srv.company("Race Ltd").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url, token) = (srv.client.clone(), srv.url("/api/v1/user/create_user"), c.token.clone());
        let email = if i % 2 == 0 { "same@example.com".to_string() } else { format!("user{i}@example.com") };
        tasks.push(tokio::spawn(async move {
            let form = [
                ("target_contact_name", "Racer".to_string()),
                ("target_email", email),
                ("target_password", "Racer-Pass1".to_string()),
            ];
            client.post(url).bearer_auth(token).form(&form).send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 11, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 9, "{statuses:?}");
    let users = srv.post("/api/v1/user/list_company_users", &c.token, &[]).await.data();
    assert_eq!(users.as_array().unwrap().len(), 12);
});
