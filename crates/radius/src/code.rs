/// The Code field of a RADIUS packet (RFC 2865 §3, RFC 2866 §4, RFC 5997 §3).
///
/// Codes the crate has no name for travel as [`Code::Other`] so that a server can still answer
/// or log them; `Other` never holds a value that has a name, because [`Code::from`] maps those
/// to the named variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    AccessRequest,
    AccessAccept,
    AccessReject,
    AccountingRequest,
    AccountingResponse,
    AccessChallenge,
    StatusServer,
    Other(u8),
}

impl From<u8> for Code {
    fn from(value: u8) -> Self {
        match value {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            other => Code::Other(other),
        }
    }
}

impl From<Code> for u8 {
    fn from(code: Code) -> Self {
        match code {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::Other(value) => value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn every_octet_survives_the_round_trip() {
        for value in 0..=u8::MAX {
            assert_eq!(u8::from(Code::from(value)), value);
        }
    }

    #[test]
    fn named_codes_have_their_rfc_numbers() {
        assert_eq!(Code::from(1), Code::AccessRequest);
        assert_eq!(Code::from(2), Code::AccessAccept);
        assert_eq!(Code::from(3), Code::AccessReject);
        assert_eq!(Code::from(4), Code::AccountingRequest);
        assert_eq!(Code::from(5), Code::AccountingResponse);
        assert_eq!(Code::from(11), Code::AccessChallenge);
        assert_eq!(Code::from(12), Code::StatusServer);
        assert_eq!(Code::from(40), Code::Other(40));
    }
}
