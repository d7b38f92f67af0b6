//! Proof-of-work that gates mailbox creation.
//!
//! The relay hands out a random challenge; the client finds a `u64` solution such that
//!
//! ```text
//! SHA-256("corridor-pow-v1" 0x00 || challenge || solution as 8 bytes big-endian)
//! ```
//!
//! starts with at least `difficulty` zero bits. Each extra bit doubles the expected work
//! (difficulty 20 is about a million hashes: under a second on a phone).

use sha2::{Digest, Sha256};

/// Domain separation prefix of the proof-of-work hash.
pub const POW_PREFIX: &[u8] = b"corridor-pow-v1\0";

/// The largest difficulty a relay may ask for; a client refuses more.
pub const MAX_DIFFICULTY: u8 = 32;

fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut zeros = 0;
    for byte in hash {
        if *byte == 0 {
            zeros += 8;
        } else {
            zeros += byte.leading_zeros();
            break;
        }
    }
    zeros
}

fn pow_hash(challenge: &[u8], solution: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(POW_PREFIX);
    hasher.update(challenge);
    hasher.update(solution.to_be_bytes());
    hasher.finalize().into()
}

/// True when `solution` meets `difficulty` for `challenge`.
pub fn check(challenge: &[u8], solution: u64, difficulty: u8) -> bool {
    leading_zero_bits(&pow_hash(challenge, solution)) >= u32::from(difficulty)
}

/// Finds the smallest solution for `challenge` at `difficulty`, or `None` when the
/// difficulty exceeds [`MAX_DIFFICULTY`].
pub fn solve(challenge: &[u8], difficulty: u8) -> Option<u64> {
    if difficulty > MAX_DIFFICULTY {
        return None;
    }
    (0..=u64::MAX).find(|candidate| check(challenge, *candidate, difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_challenge_checks_and_wrong_solution_fails() {
        let challenge = [5u8; 32];
        let solution = solve(&challenge, 12).unwrap();
        assert!(check(&challenge, solution, 12));
        // The smallest solution is found, so every smaller candidate fails.
        assert!((0..solution).all(|s| !check(&challenge, s, 12)));
        assert!(!check(&[6u8; 32], solution, 40));
    }

    #[test]
    fn difficulty_zero_always_passes_and_too_hard_is_refused() {
        assert!(check(b"x", 0, 0));
        assert_eq!(solve(b"x", MAX_DIFFICULTY + 1), None);
    }

    #[test]
    fn leading_zero_count() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x10, 0xff]), 19);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
    }
}
