//! Password hashing off the async runtime: argon2id runs on the blocking pool, at most
//! `concurrency` at a time, so a burst of logins queues here instead of starving the
//! request-handling threads (or the memory: each hash takes 19 MiB).

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{DomainError, Result};

pub struct PasswordPool {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified when there is no real hash to check so that
    /// "no such user" and "wrong password" cost the same time.
    dummy: std::sync::OnceLock<String>,
}

impl PasswordPool {
    pub fn new(concurrency: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy: std::sync::OnceLock::new() }
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(DomainError::internal)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || keyhall_crypto::password::hash_password(&password))
            .await
            .map_err(DomainError::internal)?
            .map_err(DomainError::internal)
    }

    pub async fn verify(&self, phc: &str, password: &str) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(DomainError::internal)?;
        let (phc, password) = (phc.to_string(), password.to_string());
        tokio::task::spawn_blocking(move || keyhall_crypto::password::verify_password(&phc, &password))
            .await
            .map_err(DomainError::internal)
    }

    pub async fn verify_dummy(&self, password: &str) -> Result<()> {
        let dummy = match self.dummy.get() {
            Some(d) => d.clone(),
            None => {
                let fresh = self.hash(&keyhall_crypto::random::alphanumeric(24)).await?;
                self.dummy.get_or_init(|| fresh).clone()
            }
        };
        self.verify(&dummy, password).await?;
        Ok(())
    }
}
