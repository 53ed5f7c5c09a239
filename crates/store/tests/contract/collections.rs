//! The collections of communities: a name is unique in its community and kind (the constraint
//! decides a race), kinds and communities are apart, updates and deletes of a gone item say so.

use keyhall_core::ErrorCode;
use keyhall_core::adminx::Scope;
use keyhall_core::adminx::collections::CommunityItem;
use keyhall_core::ports::Write;

use super::{Fixture, commit, drop_schema, now, tenant};

fn item(scope: Scope, kind: &str, name: &str) -> CommunityItem {
    let t = now();
    CommunityItem {
        id: uuid::Uuid::new_v4().to_string(),
        scope,
        kind: kind.into(),
        name: name.into(),
        body: serde_json::json!({ "tag": name }),
        created_by: "admin@example.com".into(),
        created_at: t,
        updated_at: t,
    }
}

crate::contract!(an_items_name_is_unique_in_its_community_and_kind);
async fn an_items_name_is_unique_in_its_community_and_kind(f: Fixture) {
    let (t, c, _, _) = tenant(f.store.as_ref()).await;
    let (t2, c2, _, _) = tenant(f.store.as_ref()).await;
    let scope = Scope { tenant: t.id, community: c.id };
    let other = Scope { tenant: t2.id, community: c2.id };
    let insert = |i: CommunityItem| {
        let store = f.store.clone();
        async move { commit(store.as_ref(), i.scope.tenant, "item.create", vec![Write::InsertItem(i)]).await }
    };
    let first = item(scope, "secret", "api_key");
    insert(first.clone()).await.unwrap();
    assert_eq!(insert(item(scope, "secret", "api_key")).await.unwrap_err().code, ErrorCode::ItemNameTaken);
    insert(item(scope, "gateway", "api_key")).await.unwrap();
    insert(item(other, "secret", "api_key")).await.unwrap();
    // Two writers of one new name: one item.
    let (a, b) = tokio::join!(insert(item(scope, "secret", "raced")), insert(item(scope, "secret", "raced")));
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let listed = f.store.community_items(c.id, "secret").await.unwrap();
    assert_eq!(listed.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["api_key", "raced"]);
    assert_eq!(f.store.community_item(&first.id).await.unwrap(), Some(first.clone()));
    // Renamed onto a taken name: refused; updated and deleted once.
    let mut renamed = first.clone();
    renamed.name = "raced".into();
    let update = |i: CommunityItem| {
        let store = f.store.clone();
        async move { commit(store.as_ref(), i.scope.tenant, "item.update", vec![Write::UpdateItem(i)]).await }
    };
    assert_eq!(update(renamed).await.unwrap_err().code, ErrorCode::ItemNameTaken);
    let mut changed = first.clone();
    changed.body = serde_json::json!({ "tag": "api_key", "note": "changed" });
    update(changed.clone()).await.unwrap();
    assert_eq!(f.store.community_item(&first.id).await.unwrap().unwrap().body, changed.body);
    let delete = || commit(f.store.as_ref(), t.id, "item.delete", vec![Write::DeleteItem(first.id.clone())]);
    delete().await.unwrap();
    assert_eq!(delete().await.unwrap_err().code, ErrorCode::ItemNotFound);
    assert_eq!(update(changed).await.unwrap_err().code, ErrorCode::ItemNotFound);
    assert!(f.store.community_item(&first.id).await.unwrap().is_none());
}
