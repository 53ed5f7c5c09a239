//! The core's one error type: a stable code from the catalogue (whose `kind()` says what sort
//! of failure it is), the parameter it concerns (if any), the rules a request broke (typed,
//! field by field), and a sentence for people. Faces turn it into their vendor's wire format:
//! by kind first, then by code where their vendor differs, renaming fields to their own
//! parameter names. Nothing in here is a vendor's wire string.

use std::borrow::Cow;

pub use keyhall_types::{ErrorCode, ErrorKind};

/// A model rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Given but empty.
    Blank,
    TooShort,
    TooLong,
    /// Characters or shape not allowed.
    Invalid,
    /// Not one of the allowed values.
    Inclusion,
    /// One of the reserved values.
    Exclusion,
    /// Not in the expected format (JSON, a date, …).
    InvalidFormat,
    /// Something of the kind exists already (an open profile, a title in use).
    Exists,
    /// Not an ISO 3166 alpha-2 or alpha-3 country code.
    CountryCode,
    /// A file whose extension is not allowed.
    FileType {
        extension: String,
        allowed: Vec<String>,
    },
    /// An empty file.
    FileEmpty,
    /// A file over the size limit.
    FileTooLarge {
        max_bytes: usize,
    },
}

impl Rule {
    /// The rule's name: `blank`, `too_short`, `file_type`, …
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Blank => "blank",
            Rule::TooShort => "too_short",
            Rule::TooLong => "too_long",
            Rule::Invalid => "invalid",
            Rule::Inclusion => "inclusion",
            Rule::Exclusion => "exclusion",
            Rule::InvalidFormat => "invalid_format",
            Rule::Exists => "exists",
            Rule::CountryCode => "country_code",
            Rule::FileType { .. } => "file_type",
            Rule::FileEmpty => "file_empty",
            Rule::FileTooLarge { .. } => "file_too_large",
        }
    }

    /// The rule in words, for people.
    pub fn describe(&self) -> String {
        match self {
            Rule::Blank => "must not be blank".into(),
            Rule::TooShort => "is too short".into(),
            Rule::TooLong => "is too long".into(),
            Rule::Invalid => "is not valid".into(),
            Rule::Inclusion => "is not one of the allowed values".into(),
            Rule::Exclusion => "is reserved".into(),
            Rule::InvalidFormat => "is not in the expected format".into(),
            Rule::Exists => "exists already".into(),
            Rule::CountryCode => "must be an ISO 3166 alpha-2 or alpha-3 country code".into(),
            Rule::FileType { extension, allowed } => {
                format!("files of type {extension:?} are not allowed (allowed: {})", allowed.join(", "))
            }
            Rule::FileEmpty => "must not be an empty file".into(),
            Rule::FileTooLarge { max_bytes } => format!("must be a file of at most {max_bytes} bytes"),
        }
    }
}

/// One broken rule: which field, which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: Cow<'static, str>,
    pub rule: Rule,
}

impl Violation {
    pub fn new(field: impl Into<Cow<'static, str>>, rule: Rule) -> Self {
        Self { field: field.into(), rule }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub code: ErrorCode,
    /// The request parameter or field the error is about, in the core's vocabulary
    /// (faces may rename it to their own parameter names).
    pub field: Option<Cow<'static, str>>,
    /// Every rule the request broke, in the order a form lists them (for
    /// `request.invalid_parameter` raised by model checks).
    pub violations: Vec<Violation>,
    /// A sentence for the caller, or for internal errors the cause for the log only.
    pub detail: Option<String>,
    /// How long to wait before trying again (a rate limit or a lock).
    pub retry_after: Option<time::Duration>,
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

impl DomainError {
    pub fn new(code: ErrorCode) -> Self {
        Self { code, field: None, violations: Vec::new(), detail: None, retry_after: None }
    }

    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    pub fn field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn retry_after(mut self, wait: time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    pub fn invalid(field: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter).field(field).detail(detail)
    }

    pub fn missing(field: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::MissingParameter).field(field)
    }

    /// The rules a request broke (`request.invalid_parameter`); the first one names the field.
    pub fn violations(violations: Vec<Violation>) -> Self {
        let mut e = Self::new(ErrorCode::InvalidParameter);
        e.field = violations.first().map(|v| v.field.clone());
        e.violations = violations;
        e
    }

    /// One broken rule.
    pub fn violation(field: impl Into<Cow<'static, str>>, rule: Rule) -> Self {
        Self::violations(vec![Violation::new(field, rule)])
    }

    /// An unexpected failure (storage down, corrupt row, …). The detail is for the log only;
    /// faces must never echo it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal).detail(cause.to_string())
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }

    /// Renames the field (and the violations' fields) from the core's vocabulary to a face's.
    pub fn rename_field(mut self, from: &str, to: &'static str) -> Self {
        if self.field.as_deref() == Some(from) {
            self.field = Some(to.into());
        }
        for v in &mut self.violations {
            if v.field == from {
                v.field = to.into();
            }
        }
        self
    }
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        for v in &self.violations {
            write!(f, " [{}: {}]", v.field, v.rule.name())?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DomainError {}

impl From<ErrorCode> for DomainError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}
