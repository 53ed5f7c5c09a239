//! Randomness from the operating system's CSPRNG (through rand's thread-local generator,
//! which is reseeded from the OS).

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::fill(&mut out[..]);
    out
}

pub fn fill(buf: &mut [u8]) {
    rand::fill(buf);
}

/// `len` characters drawn uniformly from an alphabet, by rejection sampling (no modulo bias).
pub fn string_from(alphabet: &[u8], len: usize) -> String {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        fill(&mut pool);
        for &b in &pool {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// Letters and digits, `len` characters long (log2(62) ≈ 5.95 bits each).
pub fn alphanumeric(len: usize) -> String {
    string_from(ALNUM, len)
}

#[cfg(test)]
mod tests {
    #[test]
    fn alphanumeric_has_length_and_alphabet() {
        let s = super::alphanumeric(200);
        assert_eq!(s.len(), 200);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(super::alphanumeric(32), super::alphanumeric(32));
    }
}
