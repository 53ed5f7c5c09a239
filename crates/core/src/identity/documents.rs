//! Identity documents and proofs of address: scans a user uploads for KYC. Each file is one
//! document; files sent together share an `identificator`. The files are kept in the store
//! and handed out through short-lived signed URLs. Uploading an identity document sets the
//! private label `document=pending`, a proof of address `address=pending`, until an
//! administrator decides.

use keyhall_types::{DocumentId, Timestamp, UserId};

use super::Identity;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result, Rule, Violation};
use crate::identity::labels::{Label, LabelScope};
use crate::identity::users::User;
use crate::ports::{UnitOfWork, Write};

/// The document types users may upload (Barong's list, spelling included).
pub const DOC_TYPES: &[&str] =
    &["Passport", "Identity card", "Driver license", "Utility Bill", "Residental", "Institutional", "Address"];

/// The type of the documents `addresses` creates.
pub const ADDRESS: &str = "Address";

const SEAL_URL: &str = "document.upload_url";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: keyhall_types::DocumentId,
    pub user_id: UserId,
    pub doc_type: String,
    pub doc_number: Option<String>,
    pub doc_expire: Option<time::Date>,
    pub doc_category: Option<String>,
    pub identificator: String,
    pub metadata: Option<String>,
    pub file_name: String,
    pub file_size: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// What an upload request asks for: one document per file, all with these details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDocuments {
    pub doc_type: String,
    pub doc_number: Option<String>,
    pub doc_expire: Option<time::Date>,
    pub doc_category: Option<String>,
    pub identificator: Option<String>,
    pub metadata: Option<String>,
    pub uploads: Vec<Upload>,
}

/// Operator limits on uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRules {
    /// Allowed file extensions, lower case.
    pub extensions: Vec<String>,
    pub max_file_bytes: usize,
    /// Documents (of any type) a user may hold.
    pub max_documents: i64,
    /// Identity documents need an expiry date that has not passed.
    pub require_expiry: bool,
}

impl Default for UploadRules {
    fn default() -> Self {
        Self {
            extensions: ["jpg", "jpeg", "png", "pdf"].map(String::from).to_vec(),
            max_file_bytes: 10 * 1024 * 1024,
            max_documents: 10,
            require_expiry: true,
        }
    }
}

fn extension(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Every broken rule of the documents a request would create, in the order Barong lists
/// them (each file's first, once per distinct rule).
pub fn check(new: &NewDocuments, rules: &UploadRules) -> Vec<Violation> {
    let mut broken = Vec::new();
    for upload in &new.uploads {
        let ext = extension(&upload.file_name);
        let rule = if !rules.extensions.contains(&ext) {
            Some(Rule::FileType { extension: ext, allowed: rules.extensions.clone() })
        } else if upload.content.is_empty() {
            Some(Rule::FileEmpty)
        } else if upload.content.len() > rules.max_file_bytes {
            Some(Rule::FileTooLarge { max_bytes: rules.max_file_bytes })
        } else {
            None
        };
        broken.extend(rule.map(|r| Violation::new("upload", r)));
    }
    if new.uploads.is_empty() {
        broken.push(Violation::new("upload", Rule::Blank));
    }
    if !DOC_TYPES.contains(&new.doc_type.as_str()) {
        broken.push(Violation::new("doc_type", Rule::Inclusion));
    }
    if let Some(m) = &new.metadata
        && serde_json::from_str::<serde_json::Value>(m).is_err()
    {
        broken.push(Violation::new("metadata", Rule::InvalidFormat));
    }
    if let Some(n) = new.doc_number.as_deref().filter(|n| !n.trim().is_empty()) {
        if n.chars().count() > 128 {
            broken.push(Violation::new("doc_number", Rule::TooLong));
        }
        if !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c.is_ascii_whitespace()) {
            broken.push(Violation::new("doc_number", Rule::Invalid));
        }
    }
    let mut unique: Vec<Violation> = Vec::new();
    for b in broken {
        if !unique.contains(&b) {
            unique.push(b);
        }
    }
    unique
}

/// Why an identity document's expiry date is refused, when the operator requires one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryProblem {
    Missing,
    Passed,
}

/// Checks the expiry date of an identity document (before its files are looked at, as Barong
/// does): required when `rules.require_expiry`, and not before `today`.
pub fn expiry_problem(doc_expire: Option<time::Date>, rules: &UploadRules, today: time::Date) -> Option<ExpiryProblem> {
    match doc_expire {
        _ if !rules.require_expiry => None,
        None => Some(ExpiryProblem::Missing),
        Some(d) if d < today => Some(ExpiryProblem::Passed),
        Some(_) => None,
    }
}

/// Keeps the first two and last two characters: `AA****BB` (four or fewer are shown whole).
pub fn mask_doc_number(number: &str) -> String {
    crate::identity::masking::mask_middle(number, 2, 2)
}

/// The content type a stored file is served with.
pub fn content_type(file_name: &str) -> &'static str {
    match extension(file_name).as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

impl Identity<'_> {
    /// Oldest first, without their files.
    pub async fn documents(self, user: UserId) -> Result<Vec<Document>> {
        self.core.store.list_documents(user).await
    }

    /// Stores one document per upload (all or none) and labels the user; `new` must have
    /// passed `check`. Past the operator's limit → `document.limit_reached` (already over it)
    /// or `document.limit_will_be_reached`.
    pub async fn add_documents(self, caller: &Caller, user: &User, new: NewDocuments, rules: &UploadRules) -> Result<()> {
        let now = self.core.now();
        let identificator = new.identificator.clone().unwrap_or_else(|| hex::encode(keyhall_crypto::random::bytes::<16>()));
        let mut docs = Vec::new();
        let mut contents = Vec::new();
        for upload in new.uploads {
            docs.push(Document {
                id: keyhall_types::DocumentId::new(),
                user_id: user.id,
                doc_type: new.doc_type.clone(),
                doc_number: new.doc_number.clone(),
                doc_expire: new.doc_expire,
                doc_category: new.doc_category.clone(),
                identificator: identificator.clone(),
                metadata: new.metadata.clone(),
                file_name: upload.file_name,
                file_size: upload.content.len() as i64,
                created_at: now,
                updated_at: now,
            });
            contents.push(upload.content);
        }
        let label_key = if new.doc_type == ADDRESS { "address" } else { "document" };
        let label = Label::new(user.id, label_key.into(), "pending".into(), LabelScope::Private, now);
        let audit = AuditEvent::new(caller, "document.upload", "user", Some(user.id.to_string()), now).with_details(
            serde_json::json!({ "doc_type": new.doc_type, "files": docs.len(), "identificator": identificator, "topic": "account" }),
        );
        let work = UnitOfWork::new()
            .write(Write::InsertDocuments { docs, contents, limit: rules.max_documents })
            .write(Write::PutLabel(label))
            .audit(audit);
        self.core.store.commit(work).await?;
        // The documents are stored whatever happens next: answering an error would invite a
        // second upload of the same files.
        if let Err(e) = self.refresh_user_state(caller, user).await {
            tracing::warn!(error = %e, user = %user.id, "user state not refreshed after an upload");
        }
        Ok(())
    }

    /// The relative URL a document's file is served at, valid for `ttl`.
    pub fn upload_url(self, doc: &Document, ttl: time::Duration) -> String {
        let expires = (self.core.now() + ttl).unix_timestamp();
        let signature = hex::encode(self.core.keys.mac(SEAL_URL, format!("{}:{expires}", doc.id).as_bytes()));
        let name: String =
            doc.file_name.chars().map(|c| if c.is_alphanumeric() || ".-+_".contains(c) { c } else { '_' }).collect();
        format!("/api/v2/auth/public/uploads/{}/{name}?expires={expires}&signature={signature}", doc.id)
    }

    /// The file behind a signed URL, if the signature is this keyhall's and has not expired.
    pub async fn open_upload(self, id: &str, expires: i64, signature: &str) -> Result<(Document, Vec<u8>)> {
        let expected = hex::encode(self.core.keys.mac(SEAL_URL, format!("{id}:{expires}").as_bytes()));
        let valid = keyhall_crypto::constant_time_eq(expected.as_bytes(), signature.as_bytes());
        if !valid || expires < self.core.now().unix_timestamp() {
            return Err(DomainError::new(ErrorCode::DocumentNotFound));
        }
        let id = DocumentId::parse(id).ok_or_else(|| DomainError::new(ErrorCode::DocumentNotFound))?;
        self.core.store.document_file(id).await?.ok_or_else(|| DomainError::new(ErrorCode::DocumentNotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(files: &[(&str, usize)]) -> NewDocuments {
        NewDocuments {
            doc_type: "Passport".into(),
            doc_number: Some("AA1234BB".into()),
            uploads: files.iter().map(|(n, len)| Upload { file_name: n.to_string(), content: vec![1; *len] }).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn rules() {
        let rules = UploadRules { max_file_bytes: 2 * 1024 * 1024, ..Default::default() };
        assert!(check(&new(&[("scan.JPG", 10), ("back.pdf", 10)]), &rules).is_empty());
        let v = Violation::new;
        let allowed = rules.extensions.clone();
        assert_eq!(
            check(&new(&[("virus.exe", 10), ("worm.exe", 10)]), &rules),
            [v("upload", Rule::FileType { extension: "exe".into(), allowed })]
        );
        assert_eq!(check(&new(&[("empty.png", 0)]), &rules), [v("upload", Rule::FileEmpty)]);
        assert_eq!(
            check(&new(&[("big.png", 3 * 1024 * 1024)]), &rules),
            [v("upload", Rule::FileTooLarge { max_bytes: 2 * 1024 * 1024 })]
        );
        let mut n = new(&[]);
        n.doc_type = "Selfie".into();
        n.doc_number = Some("AB#12".into());
        assert_eq!(check(&n, &rules), [v("upload", Rule::Blank), v("doc_type", Rule::Inclusion), v("doc_number", Rule::Invalid)]);
    }

    #[test]
    fn expiry() {
        let today = time::macros::date!(2026 - 11 - 25);
        let rules = UploadRules::default();
        assert_eq!(expiry_problem(None, &rules, today), Some(ExpiryProblem::Missing));
        assert_eq!(expiry_problem(Some(time::macros::date!(2026 - 11 - 24)), &rules, today), Some(ExpiryProblem::Passed));
        assert_eq!(expiry_problem(Some(today), &rules, today), None);
        assert_eq!(expiry_problem(None, &UploadRules { require_expiry: false, ..rules }, today), None);
    }

    #[test]
    fn masks() {
        assert_eq!(mask_doc_number("AA1234BB"), "AA****BB");
        assert_eq!(mask_doc_number("M0993353"), "M0****53");
        assert_eq!(mask_doc_number("ABCD"), "ABCD");
    }
}
