//! The RADIUS wire protocol as a server speaks it: packet parsing and encoding (RFC 2865 §3),
//! User-Password hiding (RFC 2865 §5.2), Message-Authenticator (RFC 3579 §3.2) and signed
//! responses. Bytes in, bytes out: no sockets, no clocks, no knowledge of users or policy.
//!
//! A server's path through the crate: [`Packet::parse`] the datagram, check
//! [`verify_message_authenticator`] on the same raw bytes, read attributes (the password with
//! [`decrypt_user_password`]), then answer with a [`Response`] whose [`Response::finish`] gives
//! the datagram to send.

pub mod attribute;
mod code;
mod message_authenticator;
mod packet;
mod password;
mod response;

pub use code::Code;
pub use message_authenticator::{MessageAuthenticator, verify_message_authenticator, verify_response_message_authenticator};
pub use packet::{EncodeError, MAX_ATTRIBUTE_VALUE_LEN, MAX_PACKET_LEN, MIN_PACKET_LEN, Packet, ParseError};
pub use password::{PasswordError, decrypt_user_password, hide_user_password};
pub use response::{Response, verify_response_authenticator};
