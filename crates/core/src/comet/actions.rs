//! The Comet Token Actions: the permission vocabulary of Comet API tokens.

/// Every Token Action, owned: what a company's first token holds.
pub fn all() -> Vec<String> {
    ALL.iter().map(|a| a.to_string()).collect()
}

pub const ALL: &[&str] = &[
    "CloudView::ConvertToPaid",
    "CloudView::ConvertToTrial",
    "CloudView::GenerateLoginCredentials",
    "CloudView::InstanceProvision",
    "CloudView::InstanceTerminate",
    "CloudView::Status",
    "Company::Delete",
    "Download::Get",
    "Download::GetMetadata",
    "Download::ListDownloads",
    "HostedComet::Create",
    "HostedComet::DeleteInstance",
    "HostedComet::Describe",
    "HostedComet::ListInstances",
    "HostedComet::ListRegions",
    "HostedComet::SetFavourite",
    "HostedComet::SetName",
    "HostedComet::UpdateBranding",
    "License::ArchiveLicense",
    "License::CreateLicense",
    "License::ListLicenses",
    "License::RelaxLicense",
    "License::ResyncAll",
    "License::SetFavourite",
    "License::SetLockState",
    "License::SetName",
    "Report::ListActiveServices",
    "Report::ListBillingHistory",
    "Token::CreateToken",
    "Token::ListActions",
    "Token::ListTokens",
    "Token::RevokeToken",
    "User::CreateUser",
    "User::DeleteUser",
    "User::PatchSelf",
    "User::PatchUser",
    "User::ReadSelf",
];

pub fn is_action(text: &str) -> bool {
    ALL.contains(&text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn thirty_seven_distinct_actions() {
        let set: std::collections::HashSet<_> = super::ALL.iter().collect();
        assert_eq!(set.len(), 37);
        assert_eq!(super::ALL.len(), 37);
    }
}
