//! Users and what they say about themselves: the user rows, labels, and KYC profiles, phones
//! and documents.

use super::{DbRow, Store, rows, ts};

mod kyc;
mod labels;
mod users;

pub(crate) use kyc::{
    insert_documents_rows, insert_phone_row, insert_profile_row, replace_phone_code_row, update_drafted_profile_row,
    verify_phone_row,
};
pub(crate) use labels::{LabelWrite, delete_label_row, insert_label_row, update_label_row};
pub(crate) use users::{claim_first_user, insert_user_row, update_user_row, user_from_row};
