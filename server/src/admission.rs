//! Who may create a mailbox: the solver of a fresh proof-of-work challenge, or the holder
//! of an operator token.
//!
//! A challenge is `timestamp (8) || random (16) || HMAC-SHA256(secret, timestamp || random)`
//! under a secret, so the relay keeps no state per issued challenge. A used challenge is
//! remembered until it expires, so each admits one mailbox.
//!
//! On sled the secret is drawn when the process starts and used challenges are remembered
//! in memory, so challenges do not survive a restart. On PostgreSQL every instance reads
//! one secret from the database and used challenges are rows there
//! ([`crate::postgres`]), so a challenge issued by one instance is accepted once by any.

use crate::error::ApiError;
use corridor_wire::api;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Length of a challenge's random part.
pub const RANDOM_LEN: usize = 16;
const TAG_LEN: usize = 32;
/// Length of an issued challenge.
pub const CHALLENGE_LEN: usize = 8 + RANDOM_LEN + TAG_LEN;

/// Most used challenges remembered at once; beyond it, creation answers 503.
const USED_CAPACITY: usize = 1_000_000;

/// Fills `buf` from the operating system's generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), ApiError> {
    getrandom::fill(buf).map_err(|_| ApiError::INTERNAL)
}

/// What a checked admission was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// An operator token (nothing to consume).
    Token,
    /// A solved challenge, still to be consumed.
    Pow(UsedChallenge),
}

/// A genuine solved challenge: its random part and the second it was issued.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UsedChallenge {
    /// The challenge's random part (unique per challenge).
    pub random: [u8; RANDOM_LEN],
    /// When it was issued (unix seconds).
    pub issued: u64,
}

impl std::fmt::Debug for UsedChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsedChallenge(..)")
    }
}

/// Issues and checks challenges; checks operator tokens.
pub struct Admission {
    secret: Zeroizing<[u8; 32]>,
    difficulty: u8,
    ttl_secs: u64,
    used: Mutex<HashMap<[u8; RANDOM_LEN], u64>>,
    token_hashes: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("difficulty", &self.difficulty)
            .field("tokens", &self.token_hashes.len())
            .finish_non_exhaustive()
    }
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Admission {
    /// A fresh secret; `tokens` are hashed and only the hashes kept.
    pub fn new(difficulty: u8, ttl_secs: u64, tokens: &[String]) -> Result<Self, ApiError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        random_bytes(secret.as_mut())?;
        Ok(Self::with_secret(secret, difficulty, ttl_secs, tokens))
    }

    /// Over a given `secret` (shared by every instance on one database).
    pub fn with_secret(
        secret: Zeroizing<[u8; 32]>,
        difficulty: u8,
        ttl_secs: u64,
        tokens: &[String],
    ) -> Self {
        Self {
            secret,
            difficulty,
            ttl_secs,
            used: Mutex::new(HashMap::new()),
            token_hashes: tokens.iter().map(|t| token_hash(t)).collect(),
        }
    }

    /// Seconds a challenge stays valid.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// The difficulty challenges are issued with.
    pub fn difficulty(&self) -> u8 {
        self.difficulty
    }

    fn tag(&self, head: &[u8]) -> Result<HmacSha256, ApiError> {
        let mut mac =
            HmacSha256::new_from_slice(self.secret.as_ref()).map_err(|_| ApiError::INTERNAL)?;
        mac.update(head);
        Ok(mac)
    }

    /// A new challenge issued at `now`.
    pub fn issue(&self, now: u64) -> Result<Vec<u8>, ApiError> {
        let mut head = [0u8; 8 + RANDOM_LEN];
        head[..8].copy_from_slice(&now.to_be_bytes());
        random_bytes(&mut head[8..])?;
        let tag = self.tag(&head)?.finalize().into_bytes();
        let mut out = head.to_vec();
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Admits a mailbox creation, consuming the challenge (in this process's memory) if that
    /// is the admission.
    pub fn admit(&self, admission: &api::Admission, now: u64) -> Result<(), ApiError> {
        match self.check(admission, now)? {
            Checked::Token => Ok(()),
            Checked::Pow(used) => self.consume(used, now),
        }
    }

    /// Checks an admission without consuming anything: a known token, or a genuine, fresh,
    /// solved challenge, whose [`UsedChallenge`] the caller must then consume exactly once
    /// (in memory with [`Admission::admit`], or in the shared database).
    pub fn check(&self, admission: &api::Admission, now: u64) -> Result<Checked, ApiError> {
        match admission {
            api::Admission::Token { token } => {
                let hash = token_hash(token);
                let mut found = subtle::Choice::from(0);
                for known in &self.token_hashes {
                    found |= known.ct_eq(&hash);
                }
                if bool::from(found) {
                    Ok(Checked::Token)
                } else {
                    Err(ApiError::BAD_ADMISSION)
                }
            }
            api::Admission::Pow {
                challenge,
                solution,
            } => self
                .check_pow(challenge.as_bytes(), *solution, now)
                .map(Checked::Pow),
        }
    }

    fn check_pow(
        &self,
        challenge: &[u8],
        solution: u64,
        now: u64,
    ) -> Result<UsedChallenge, ApiError> {
        if challenge.len() != CHALLENGE_LEN {
            return Err(ApiError::BAD_ADMISSION);
        }
        let (head, tag) = challenge
            .split_at_checked(8 + RANDOM_LEN)
            .ok_or(ApiError::BAD_ADMISSION)?;
        self.tag(head)?
            .verify_slice(tag)
            .map_err(|_| ApiError::BAD_ADMISSION)?;
        let (time, random) = head.split_at_checked(8).ok_or(ApiError::BAD_ADMISSION)?;
        let issued = u64::from_be_bytes(time.try_into().map_err(|_| ApiError::BAD_ADMISSION)?);
        let random: [u8; RANDOM_LEN] = random.try_into().map_err(|_| ApiError::BAD_ADMISSION)?;
        if issued > now || now - issued > self.ttl_secs {
            return Err(ApiError::BAD_ADMISSION);
        }
        if !corridor_wire::pow::check(challenge, solution, self.difficulty) {
            return Err(ApiError::BAD_ADMISSION);
        }
        Ok(UsedChallenge { random, issued })
    }

    fn consume(&self, challenge: UsedChallenge, now: u64) -> Result<(), ApiError> {
        let UsedChallenge { random, issued } = challenge;
        let mut used = self.used.lock().map_err(|_| ApiError::INTERNAL)?;
        if used.contains_key(&random) {
            return Err(ApiError::CHALLENGE_USED);
        }
        if used.len() >= USED_CAPACITY {
            let ttl = self.ttl_secs;
            used.retain(|_, issued| now.saturating_sub(*issued) <= ttl);
            if used.len() >= USED_CAPACITY {
                return Err(ApiError::OVERLOADED);
            }
        }
        used.insert(random, issued);
        Ok(())
    }

    /// Forgets used challenges that have expired anyway.
    pub fn prune(&self, now: u64) {
        if let Ok(mut used) = self.used.lock() {
            let ttl = self.ttl_secs;
            used.retain(|_, issued| now.saturating_sub(*issued) <= ttl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_wire::b64::Blob;

    fn pow(challenge: Vec<u8>, difficulty: u8) -> api::Admission {
        let solution = corridor_wire::pow::solve(&challenge, difficulty).unwrap();
        api::Admission::Pow {
            challenge: Blob(challenge),
            solution,
        }
    }

    #[test]
    fn a_solved_challenge_admits_once() {
        let admission = Admission::new(8, 600, &[]).unwrap();
        let solved = pow(admission.issue(1000).unwrap(), 8);
        admission.admit(&solved, 1001).unwrap();
        assert_eq!(
            admission.admit(&solved, 1002),
            Err(ApiError::CHALLENGE_USED)
        );
    }

    #[test]
    fn forged_expired_and_unsolved_challenges_are_refused() {
        let admission = Admission::new(8, 600, &[]).unwrap();
        let mut forged = admission.issue(1000).unwrap();
        forged[10] ^= 1;
        assert_eq!(
            admission.admit(&pow(forged, 8), 1000),
            Err(ApiError::BAD_ADMISSION)
        );
        let old = pow(admission.issue(1000).unwrap(), 8);
        assert_eq!(admission.admit(&old, 1601), Err(ApiError::BAD_ADMISSION));
        let other = Admission::new(8, 600, &[]).unwrap();
        let foreign = pow(other.issue(1000).unwrap(), 8);
        assert_eq!(
            admission.admit(&foreign, 1000),
            Err(ApiError::BAD_ADMISSION)
        );
        // Find a solution that fails at difficulty 8.
        let challenge = admission.issue(1000).unwrap();
        let wrong = (0..)
            .find(|s| !corridor_wire::pow::check(&challenge, *s, 8))
            .unwrap();
        let unsolved = api::Admission::Pow {
            challenge: Blob(challenge),
            solution: wrong,
        };
        assert_eq!(
            admission.admit(&unsolved, 1000),
            Err(ApiError::BAD_ADMISSION)
        );
    }

    #[test]
    fn tokens_are_checked() {
        let admission = Admission::new(8, 600, &["secret-token".into()]).unwrap();
        let good = api::Admission::Token {
            token: "secret-token".into(),
        };
        let bad = api::Admission::Token {
            token: "secret-tokem".into(),
        };
        admission.admit(&good, 0).unwrap();
        admission.admit(&good, 0).unwrap();
        assert_eq!(admission.admit(&bad, 0), Err(ApiError::BAD_ADMISSION));
        assert!(!format!("{admission:?}").contains("secret"));
    }
}
