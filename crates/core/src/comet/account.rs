//! Account settings: the calling user's own settings and their company's details, read and
//! written together.

use super::Comet;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, Result};
use crate::identity::users::{parse_email, validate_contact_name};
use crate::ports::{UnitOfWork, Write};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountSettings {
    pub user_contact_name: String,
    pub user_email: String,
    pub user_is_2fa_required: bool,
    pub user_notifications_is_technical: bool,
    pub user_notifications_is_billing: bool,
    pub user_notifications_email_weekly_usage: bool,
    pub company_name: String,
    pub company_phone_number: String,
    pub company_address_street: String,
    pub company_address_city: String,
    pub company_address_postcode: String,
    pub company_address_country: String,
}

/// ISO 3166-1 alpha-2 codes (officially assigned).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG \
GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR \
NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub fn validate_country(field: &'static str, text: &str) -> Result<String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err(DomainError::invalid(field, "must be an ISO 3166-1 alpha-2 country code, e.g. US"))
    }
}

/// Digits, spaces and `+()-.`, with 3 to 20 digits.
pub fn validate_phone(field: &'static str, text: &str) -> Result<String> {
    let t = text.trim();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    if (3..=20).contains(&digits) && t.len() <= 40 && t.bytes().all(|b| b.is_ascii_digit() || b" +()-.".contains(&b)) {
        Ok(t.to_string())
    } else {
        Err(DomainError::invalid(field, "must be a phone number (digits, spaces and + ( ) - .)"))
    }
}

fn optional_text(field: &'static str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > 255 || t.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(t.to_string())
}

impl Comet<'_> {
    pub async fn account_settings(self, caller: &Caller) -> Result<AccountSettings> {
        let user = self.core.identity().current_user(caller).await?;
        let tenant = self.core.tenancy().tenant(caller.tenant_id()).await?;
        Ok(AccountSettings {
            user_contact_name: user.contact_name,
            user_email: user.email.to_string(),
            user_is_2fa_required: user.flags.twofa_required,
            user_notifications_is_technical: user.flags.is_technical,
            user_notifications_is_billing: user.flags.is_billing,
            user_notifications_email_weekly_usage: user.flags.notify_weekly_usage,
            company_name: tenant.name,
            company_phone_number: tenant.profile.phone,
            company_address_street: tenant.profile.address_street,
            company_address_city: tenant.profile.address_city,
            company_address_postcode: tenant.profile.address_postcode,
            company_address_country: tenant.profile.address_country,
        })
    }

    pub async fn set_account_settings(self, caller: &Caller, s: AccountSettings) -> Result<()> {
        let mut user = self.core.identity().current_user(caller).await?;
        let mut tenant = self.core.tenancy().tenant(caller.tenant_id()).await?;
        user.contact_name = validate_contact_name("user_contact_name", &s.user_contact_name)?;
        let email = parse_email("user_email", &s.user_email)?;
        if email != user.email {
            user.email = email;
            user.flags.email_verified = false;
        }
        user.flags.twofa_required = s.user_is_2fa_required;
        user.flags.is_technical = s.user_notifications_is_technical;
        user.flags.is_billing = s.user_notifications_is_billing;
        user.flags.notify_weekly_usage = s.user_notifications_email_weekly_usage;
        tenant.name = crate::tenancy::tenants::validate_name("company_name", &s.company_name)?;
        tenant.profile.phone = validate_phone("company_phone_number", &s.company_phone_number)?;
        tenant.profile.address_street = optional_text("company_address_street", &s.company_address_street)?;
        tenant.profile.address_city = optional_text("company_address_city", &s.company_address_city)?;
        tenant.profile.address_postcode = optional_text("company_address_postcode", &s.company_address_postcode)?;
        tenant.profile.address_country = validate_country("company_address_country", &s.company_address_country)?;
        let now = self.core.now();
        user.updated_at = now;
        tenant.updated_at = now;
        let audit = AuditEvent::new(caller, "account.update", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "company": tenant.id.to_string(), "twofa_required": user.flags.twofa_required }));
        let work = UnitOfWork::new().write(Write::UpdateUser(user)).write(Write::UpdateTenant(tenant)).audit(audit);
        self.core.store.commit(work).await.map_err(crate::identity::users::email_field("user_email"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_and_phones() {
        assert_eq!(validate_country("c", "nz").unwrap(), "NZ");
        assert!(validate_country("c", "XX").is_err());
        assert!(validate_country("c", "USA").is_err());
        assert!(validate_phone("p", "+1 (555) 010-0000").is_ok());
        assert!(validate_phone("p", "call me").is_err());
        assert!(validate_phone("p", "12").is_err());
    }
}
