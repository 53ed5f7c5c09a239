//! keyhall's RADIUS server (RFC 2865 over UDP, off unless `KEYHALL_RADIUS_LISTEN` names an
//! address): Access-Requests with PAP passwords from the NAS addresses a community's RADIUS
//! configurations list, checked with their shared secret. A datagram from an address no
//! configuration lists, or that no listed secret authenticates, is dropped unanswered, as RFC
//! 2865 §3 asks. The decisions are core's (`adminx::radius`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyhall_core::Core;
use keyhall_core::adminx::radius::{RadiusClient, RadiusDecision};
use keyhall_radius::{
    Code, MessageAuthenticator, Packet, Response, attribute, decrypt_user_password, verify_message_authenticator,
};
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// The answers of the last half minute by (NAS address, identifier, authenticator): a NAS
/// that retransmits gets the same answer, not a second attempt on the user's counters.
type Answered = moka::sync::Cache<(SocketAddr, u8, [u8; 16]), Arc<Vec<u8>>>;

/// Datagrams answered at once at most; more are dropped (the NAS retransmits), so that a
/// flood cannot queue unbounded work.
const IN_FLIGHT: usize = 256;

/// Serves `socket` until `stop` flips.
pub fn spawn(core: Arc<Core>, socket: UdpSocket, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let socket = Arc::new(socket);
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let answered: Answered = moka::sync::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(30)).build();
    tokio::spawn(async move {
        let mut buf = vec![0u8; keyhall_radius::MAX_PACKET_LEN];
        loop {
            let (len, from) = tokio::select! {
                got = socket.recv_from(&mut buf) => match got {
                    Ok(got) => got,
                    Err(e) => {
                        tracing::warn!(error = %e, "receiving a RADIUS datagram failed");
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                tracing::warn!(nas = %from, "RADIUS datagram dropped: too many in flight");
                continue;
            };
            let datagram = buf[..len].to_vec();
            let (core, socket, answered) = (core.clone(), socket.clone(), answered.clone());
            tokio::spawn(async move {
                let _slot = slot;
                if let Some(answer) = answer(&core, &answered, from, &datagram).await
                    && let Err(e) = socket.send_to(&answer, from).await
                {
                    tracing::warn!(error = %e, nas = %from, "sending a RADIUS answer failed");
                }
            });
        }
    })
}

/// The datagram to send back, if any.
async fn answer(core: &Core, answered: &Answered, from: SocketAddr, datagram: &[u8]) -> Option<Arc<Vec<u8>>> {
    let request = Packet::parse(datagram).ok()?;
    if request.code != Code::AccessRequest {
        return None;
    }
    let key = (from, request.identifier, request.authenticator);
    if let Some(previous) = answered.get(&key) {
        return Some(previous);
    }
    let adminx = core.adminx();
    let clients = match adminx.radius_clients(from.ip()).await {
        Ok(clients) => clients,
        Err(e) => {
            tracing::warn!(error = %e, nas = %from, "reading the RADIUS configurations failed");
            return None;
        }
    };
    let Some(client) = authenticated_client(&clients, datagram) else {
        tracing::info!(nas = %from, "RADIUS request from an unknown client or with a wrong secret dropped");
        return None;
    };
    let decision = decide(core, client, &request, from).await;
    let mut response = match &decision {
        RadiusDecision::Accept { .. } => Response::new(Code::AccessAccept, &request),
        RadiusDecision::Challenge { .. } => Response::new(Code::AccessChallenge, &request),
        RadiusDecision::Reject { .. } => Response::new(Code::AccessReject, &request),
    };
    match &decision {
        RadiusDecision::Accept { username } => {
            response.reply_message(&format!("Welcome, {username}"));
        }
        RadiusDecision::Challenge { state, prompt } => {
            response.reply_message(prompt);
            response.state(state).ok()?;
        }
        RadiusDecision::Reject { message } => {
            response.reply_message(message);
        }
    }
    let bytes = Arc::new(response.finish(&client.secret).ok()?);
    answered.insert(key, bytes.clone());
    Some(bytes)
}

/// The configuration whose secret authenticates the datagram: a valid Message-Authenticator,
/// or none where the configuration does not require one (then its secret must decode the
/// password, which the caller finds out).
fn authenticated_client<'a>(clients: &'a [RadiusClient], datagram: &[u8]) -> Option<&'a RadiusClient> {
    let mut without = None;
    for client in clients {
        match verify_message_authenticator(&client.secret, datagram) {
            MessageAuthenticator::Valid => return Some(client),
            MessageAuthenticator::Absent if !client.require_message_authenticator => {
                without.get_or_insert(client);
            }
            _ => {}
        }
    }
    without
}

async fn decide(core: &Core, client: &RadiusClient, request: &Packet, from: SocketAddr) -> RadiusDecision {
    let reject = |message: &str| RadiusDecision::Reject { message: message.into() };
    let Some(username) = request.text(attribute::USER_NAME).map(str::to_string) else {
        return reject("User-Name is required");
    };
    let Some(hidden) = request.attribute(attribute::USER_PASSWORD) else {
        return reject("Only PAP (User-Password) is supported");
    };
    let Ok(password) = decrypt_user_password(&client.secret, &request.authenticator, hidden) else {
        return reject("User-Password is malformed");
    };
    let Ok(password) = String::from_utf8(password) else {
        return reject("Invalid username or password");
    };
    let origin = keyhall_core::Origin { ip: Some(from.ip().to_string()), user_agent: Some("RADIUS".into()) };
    let adminx = core.adminx();
    let outcome = match request.attribute(attribute::STATE) {
        Some(state) => adminx.radius_code(client, &username, state, &password, &origin).await,
        None => adminx.radius_password(client, &username, &password, &origin).await,
    };
    outcome.unwrap_or_else(|e| {
        tracing::warn!(error = %e, nas = %from, "a RADIUS sign-in failed");
        reject("The sign-in could not be completed")
    })
}
