//! The unit of work: a command's typed row operations and audit records, in one transaction.

use keyhall_core::Result;
use keyhall_core::ports::{self, UnitOfWork, Write};

use super::audit::insert_audit;
use super::identity::LabelWrite;
use super::rows::Conn;
use super::{Store, adminx, auth, barong, community_items, credentials, hardware_tokens, identity, outbox, reports, tenancy};
use crate::errors::db;

/// Writes one row operation inside the unit's transaction.
async fn apply(conn: &mut Conn, write: &Write) -> Result<()> {
    match write {
        Write::InsertTenant { tenant, community } => tenancy::insert_tenant_rows(conn, tenant, community).await,
        Write::UpdateTenant(tenant) => tenancy::update_tenant_row(conn, tenant).await,
        Write::PutConfig { doc, expected_revision } => tenancy::put_config_row(conn, doc, *expected_revision).await,
        Write::ClaimFirstUser { tenant } => identity::claim_first_user(conn, *tenant).await,
        Write::InsertUser(user) => {
            identity::insert_user_row(conn, user).await?;
            adminx::adopt_new_user(conn, user).await
        }
        Write::UpdateUser(user) => identity::update_user_row(conn, user).await,
        Write::InsertLabel(label) => identity::insert_label_row(conn, label, LabelWrite::Insert).await,
        Write::PutLabel(label) => identity::insert_label_row(conn, label, LabelWrite::Put).await,
        Write::AddLabelIfAbsent(label) => identity::insert_label_row(conn, label, LabelWrite::IfAbsent).await,
        Write::UpdateLabel { user, key, scope, value, at } => {
            identity::update_label_row(conn, *user, key, *scope, value, *at).await
        }
        Write::DeleteLabel { user, key, scope } => identity::delete_label_row(conn, *user, key, *scope).await,
        Write::InsertProfile(profile) => identity::insert_profile_row(conn, profile).await,
        Write::UpdateDraftedProfile(profile) => identity::update_drafted_profile_row(conn, profile).await,
        Write::InsertPhone(phone) => identity::insert_phone_row(conn, phone).await,
        Write::ReplacePhoneCode(phone) => identity::replace_phone_code_row(conn, phone).await,
        Write::VerifyPhone(phone) => identity::verify_phone_row(conn, phone).await,
        Write::InsertDocuments { docs, contents, limit } => identity::insert_documents_rows(conn, docs, contents, *limit).await,
        Write::InsertCredential(credential) => credentials::add_credential_rows(conn, credential).await,
        Write::ReplacePassword(credential) | Write::ReplaceTotp(credential) | Write::ReplacePin(credential) => {
            credentials::replace_credential_rows(conn, credential).await
        }
        Write::InsertToken { token, digest } => auth::insert_token_row(conn, token, digest).await,
        Write::InsertApiKey(key) => auth::insert_api_key_row(conn, key).await,
        Write::UpdateApiKey(key) => auth::update_api_key_row(conn, key).await,
        Write::EndSessions { user, keep } => auth::delete_user_sessions_rows(conn, *user, *keep).await.map(drop),
        Write::DeleteApiKey { holder, kid } => auth::delete_api_key_row(conn, *holder, kid).await,
        Write::InsertRestriction(restriction) => auth::insert_restriction_row(conn, restriction).await,
        Write::LinkExternalIdentity { tenant, issuer, subject, user, at } => {
            auth::link_external_identity_row(conn, *tenant, issuer, subject, *user, *at).await
        }
        Write::InsertDataStorage(doc) => barong::insert_data_storage_row(conn, doc).await,
        Write::InsertTenantDomain(d) => adminx::insert_tenant_domain_row(conn, d).await,
        Write::InsertCommunity(c) => tenancy::insert_community_row(conn, c).await,
        Write::RenameCommunity { id, name } => adminx::rename_community_row(conn, *id, name).await,
        Write::InsertAuthModule(m) => adminx::insert_auth_module_row(conn, m).await,
        Write::UpdateAuthModule(m) => adminx::update_auth_module_row(conn, m).await,
        Write::DeleteAuthModule(id) => adminx::delete_auth_module_row(conn, *id).await,
        Write::AdoptCommunityUsers { community, module, at } => {
            adminx::adopt_community_users(conn, *community, *module, *at).await
        }
        Write::PutMember(m) => adminx::put_member_row(conn, m).await,
        Write::InsertLicense(l) => adminx::insert_license_row(conn, l).await,
        Write::InsertAccessCode(c) => adminx::insert_access_code_row(conn, c).await,
        Write::RevokeAccessCodes { user, kind } => adminx::revoke_access_codes_rows(conn, *user, kind).await,
        Write::RedeemAccessCode { id, at } => adminx::redeem_access_code_row(conn, id, *at).await,
        Write::DeleteAccessCode { community, id } => adminx::delete_access_code_row(conn, *community, id).await,
        Write::SetAliases { community, user, aliases } => adminx::set_aliases_rows(conn, *community, *user, aliases).await,
        Write::DeleteCredential { user, id } => credentials::delete_credential_row(conn, *user, *id).await,
        Write::DeleteCredentials { user, kind } => credentials::delete_credentials_rows(conn, *user, *kind).await,
        Write::InsertItem(item) => community_items::insert_item_row(conn, item).await,
        Write::UpdateItem(item) => community_items::update_item_row(conn, item).await,
        Write::DeleteItem(id) => community_items::delete_item_row(conn, id).await,
        Write::InsertHardwareToken(t) => hardware_tokens::insert_token_row(conn, t).await,
        Write::UpdateHardwareToken(t) => hardware_tokens::update_token_row(conn, t).await,
        Write::AdvanceHardwareToken { token, expected } => hardware_tokens::advance_token_row(conn, token, *expected).await,
        Write::DeleteHardwareToken(id) => hardware_tokens::delete_token_row(conn, id).await,
        Write::AssignHardwareToken(h) => hardware_tokens::assign_token_row(conn, h).await,
        Write::UnassignHardwareToken { token, user } => hardware_tokens::unassign_token_row(conn, token, *user).await,
        Write::InsertReportEvent(e) => reports::insert_event_row(conn, e).await,
        Write::InsertReportJob(j) => reports::insert_job_row(conn, j).await,
        Write::CancelReportJob(id) => reports::cancel_job_row(conn, id).await,
        Write::CompleteReportJob { job, content } => reports::complete_job_row(conn, job, content).await,
        Write::QueueMessage(m) => outbox::queue_message_row(conn, m).await,
    }
}

#[async_trait::async_trait]
impl ports::UnitOfWorkRepo for Store {
    async fn commit(&self, work: UnitOfWork) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for write in &work.writes {
            // An error drops the transaction: nothing of the unit is written.
            apply(&mut tx, write).await?;
        }
        for event in &work.audit {
            insert_audit(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db)
    }
}
