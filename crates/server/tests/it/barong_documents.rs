//! Documents and addresses of the resource API: multipart uploads (one document per file),
//! Barong's validation messages and limits, and the signed URLs the files are served at.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::barong;
use crate::barong_client::*;
use crate::harness::{Resp, TestServer};
use crate::smtp_sink::SmtpSink;

fn form(fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Form {
    let mut f = Form::new();
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    for (name, content) in files {
        f = f.part("upload[]", Part::bytes(content.clone()).file_name(name.to_string()));
    }
    f
}

async fn post(srv: &TestServer, bearer: &str, path: &str, body: Form) -> Resp {
    TestServer::send(srv.client.post(srv.url(&format!("{RES}{path}"))).header("authorization", bearer).multipart(body)).await
}

const PASSPORT: &[(&str, &str)] = &[("doc_type", "Passport"), ("doc_number", "AA1234BB"), ("doc_expire", "2099-01-22")];

fn with(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields: Vec<_> = PASSPORT.iter().filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k)).copied().collect();
    fields.extend(overrides.iter().filter(|(_, v)| !v.is_empty()));
    fields
}

barong!(documents_are_uploaded_listed_and_served, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "docs@example.com").await;
    let bearer = b.bearer(&srv).await;
    assert_eq!(resource(&srv, &bearer, Method::GET, "/documents", None).await.json(), json!([]));
    let scan = || vec![("front.jpg", b"\xff\xd8\xff jpeg bytes".to_vec())];
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/documents", Some(json!({}))).await,
        422,
        &[
            "resource.document.missing_doc_type",
            "resource.document.empty_doc_type",
            "resource.document.missing_doc_number",
            "resource.document.empty_doc_number",
            "resource.document.missing_upload",
        ],
    );
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("doc_expire", "someday")], "resource.documents.expire_not_a_date"),
        (&[("doc_expire", "")], "resource.documents.invalid_format"),
        (&[("doc_expire", "2001-01-01")], "resource.documents.already_expired"),
        (&[("doc_category", "side")], "resource.documents.doc_category"),
        (&[("doc_type", "Selfie")], "doc_type.inclusion"),
        (&[("doc_number", "AB#12")], "doc_number.invalid"),
        (&[("metadata", "{ bar: baz }")], "metadata.invalid_format"),
    ];
    for (overrides, error) in cases {
        let r = post(&srv, &bearer, "/documents", form(&with(overrides), &scan())).await;
        assert_errors(&r, 422, &[error]);
    }
    let r = post(&srv, &bearer, "/documents", form(PASSPORT, &[("virus.exe", b"MZ".to_vec())])).await;
    assert_errors(&r, 422, &["upload.You are not allowed to upload \"exe\" files, allowed types: jpg, jpeg, png, pdf"]);
    let r = post(&srv, &bearer, "/documents", form(PASSPORT, &[("empty.png", Vec::new())])).await;
    assert_errors(&r, 422, &["upload.File size should be greater than 1 Byte"]);
    let r = post(&srv, "Bearer nope", "/documents", form(PASSPORT, &scan())).await;
    assert_errors(&r, 401, &["jwt.decode_and_verify"]);
    // Nothing so far was stored.
    assert_eq!(resource(&srv, &bearer, Method::GET, "/documents", None).await.json(), json!([]));
    // Front and back: two documents sharing one identificator.
    let files = vec![("front.jpg", b"\xff\xd8\xff front".to_vec()), ("back side.png", b"\x89PNG back".to_vec())];
    let r = post(&srv, &bearer, "/documents", form(&with(&[("doc_category", "front_side")]), &files)).await;
    assert_eq!((r.status, r.json()), (201, json!(201)));
    let listed = resource(&srv, &bearer, Method::GET, "/documents", None).await.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["upload", "doc_type", "doc_number", "doc_expire"]);
    assert_eq!(
        (listed[0]["doc_type"].as_str(), listed[0]["doc_number"].as_str(), listed[0]["doc_expire"].as_str()),
        (Some("Passport"), Some("AA****BB"), Some("2099-01-22"))
    );
    // The signed URL serves the file, anonymously, and only as signed.
    let url = listed[1]["upload"]["url"].as_str().unwrap();
    assert!(url.starts_with("/api/v2/auth/public/uploads/") && url.contains("/back_side.png?"), "{url}");
    let r = TestServer::send(srv.client.get(srv.url(url))).await;
    assert_eq!(
        (r.status, r.headers["content-type"].to_str().unwrap(), r.body.as_slice()),
        (200, "image/png", &b"\x89PNG back"[..])
    );
    // The last digit of the signature, changed (to another digit whatever it was).
    let last = if url.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &url[..url.len() - 1]);
    assert_eq!(TestServer::send(srv.client.get(srv.url(&forged))).await.status, 404);
    let stretched = url.replace("expires=", "expires=9");
    assert_eq!(TestServer::send(srv.client.get(srv.url(&stretched))).await.status, 404);
    let bare = url.split('?').next().unwrap();
    for broken in [bare.to_string(), format!("{bare}?expires=soon&signature=00")] {
        assert_errors(&TestServer::send(srv.client.get(srv.url(&broken))).await, 404, &["record.not_found"]);
    }
    let labels = resource(&srv, &bearer, Method::GET, "/labels", None).await.json();
    assert!(labels.as_array().unwrap().iter().any(|l| l["key"] == "document" && l["value"] == "pending"));
    let activity = resource(&srv, &bearer, Method::GET, "/users/activity/account", None).await.json();
    assert!(activity.as_array().unwrap().iter().any(|a| a["action"] == "document.upload"));
});

barong!(documents_have_limits, |srv: TestServer, sink: SmtpSink| async move {
    let node = srv
        .sibling(|c| {
            c.barong.doc_limit = 3;
            c.barong.upload_max_mb = 1;
        })
        .await;
    let mut b = active_member(&srv, &sink, "limits@example.com").await;
    let bearer = b.bearer(&srv).await;
    let small = |name: &'static str| (name, vec![7u8; 100]);
    let r = post(&node, &bearer, "/documents", form(PASSPORT, &[small("a.jpg"), small("b.jpg")])).await;
    assert_eq!(r.status, 201);
    let r = post(&node, &bearer, "/documents", form(PASSPORT, &[small("c.jpg"), small("d.jpg")])).await;
    assert_errors(&r, 400, &["resource.documents.limit_will_be_reached"]);
    let big = vec![("big.pdf", vec![1u8; 1024 * 1024 + 1])];
    assert_errors(
        &post(&node, &bearer, "/documents", form(PASSPORT, &big)).await,
        422,
        &["upload.File size should be less than 1 MB"],
    );
    // A request larger than three of the largest files (plus the usual limit) is refused whole.
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "multipart/form-data; boundary=x")];
    let answer = node.announce_body("POST", &format!("{RES}/documents"), &headers, 5 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.ends_with(r#"{"errors":["server.payload_too_large"]}"#), "{answer}");
    assert_eq!(resource(&node, &bearer, Method::GET, "/documents", None).await.json().as_array().unwrap().len(), 2);
    // Proofs of address count against the same limit.
    let address = [("country", "UA"), ("address", "Khreshchatyk 1"), ("city", "Kyiv"), ("postcode", "01001")];
    let r = post(&node, &bearer, "/addresses", form(&address, &[small("bill.pdf"), small("bill2.pdf")])).await;
    assert_errors(&r, 400, &["resource.documents.limit_will_be_reached"]);
    assert_eq!(post(&node, &bearer, "/addresses", form(&address, &[small("bill.pdf")])).await.status, 201);
    assert_errors(
        &post(&node, &bearer, "/documents", form(PASSPORT, &[small("e.jpg")])).await,
        400,
        &["resource.documents.limit_will_be_reached"],
    );
});

barong!(addresses_are_proved_by_documents, |srv: TestServer, sink: SmtpSink| async move {
    let mut b = active_member(&srv, &sink, "address@example.com").await;
    let bearer = b.bearer(&srv).await;
    assert_errors(
        &resource(&srv, &bearer, Method::POST, "/addresses", Some(json!({}))).await,
        422,
        &[
            "resource.address.missing_country",
            "resource.address.empty_country",
            "resource.address.missing_address",
            "resource.address.empty_address",
            "resource.address.missing_upload",
            "resource.address.missing_city",
            "resource.address.missing_postcode",
        ],
    );
    let fields = [("country", "UA"), ("address", "Khreshchatyk 1"), ("city", "Kyiv"), ("postcode", "")];
    let r = post(&srv, &bearer, "/addresses", form(&fields, &[("bill.txt", b"text".to_vec())])).await;
    assert_errors(&r, 422, &["upload.You are not allowed to upload \"txt\" files, allowed types: jpg, jpeg, png, pdf"]);
    let r = post(&srv, &bearer, "/addresses", form(&fields, &[("bill.pdf", b"%PDF-1.7".to_vec())])).await;
    assert_eq!((r.status, r.json()), (201, json!(201)));
    let listed = resource(&srv, &bearer, Method::GET, "/documents", None).await.json();
    assert_eq!(
        (listed[0]["doc_type"].as_str(), &listed[0]["doc_number"], &listed[0]["doc_expire"]),
        (Some("Address"), &json!(null), &json!(null))
    );
    let r = TestServer::send(srv.client.get(srv.url(listed[0]["upload"]["url"].as_str().unwrap()))).await;
    assert_eq!((r.headers["content-type"].to_str().unwrap(), r.body.as_slice()), ("application/pdf", &b"%PDF-1.7"[..]));
    let labels = resource(&srv, &bearer, Method::GET, "/labels", None).await.json();
    assert!(labels.as_array().unwrap().iter().any(|l| l["key"] == "address" && l["value"] == "pending"));
});

barong!(uploads_wait_their_turn_to_be_read_into_memory, |srv: TestServer, sink: SmtpSink| async move {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = std::sync::Arc::new(srv.sibling(|c| c.barong.concurrent_uploads = 1).await);
    let mut b = active_member(&srv, &sink, "turns@example.com").await;
    let bearer = b.bearer(&srv).await;
    // A slow client: the first half of its upload now, the rest later.
    let mut body = String::new();
    for (name, value) in PASSPORT {
        body.push_str(&format!("--x\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str("--x\r\nContent-Disposition: form-data; name=\"upload[]\"; filename=\"slow.jpg\"\r\n\r\n");
    body.push_str(&"j".repeat(4096));
    body.push_str("\r\n--x--\r\n");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let url = reqwest::Url::parse(&node.url("/")).unwrap();
    let mut slow = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).await.unwrap();
    let head = format!(
        "POST {RES}/documents HTTP/1.1\r\nHost: {}\r\nAuthorization: {bearer}\r\nContent-Type: multipart/form-data; boundary=x\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        url.authority(),
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(first_half.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A second upload waits while the first holds the only turn...
    let quick = {
        let (node, bearer) = (node.clone(), bearer.clone());
        tokio::spawn(async move { post(&node, &bearer, "/documents", form(PASSPORT, &[("quick.jpg", vec![7u8; 100])])).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!quick.is_finished(), "the second upload was read while the first held the only turn");
    // ...and goes ahead once the first is done.
    slow.write_all(second_half.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 201"), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(quick.await.unwrap().status, 201);
    assert_eq!(resource(&node, &bearer, Method::GET, "/documents", None).await.json().as_array().unwrap().len(), 2);
});
