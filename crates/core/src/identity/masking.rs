//! Masking of personal data as Barong shows it: the start and end of a value stay, every
//! character between becomes `*` (`B*******`, `AA****BB`, `44******4106`).

/// Keeps the first `keep_start` and last `keep_end` characters; a value that short or shorter
/// is shown whole.
pub fn mask_middle(text: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return text.to_string();
    }
    let hidden = chars.len() - keep_start - keep_end;
    chars[..keep_start].iter().chain(std::iter::repeat_n(&'*', hidden)).chain(&chars[keep_start + hidden..]).collect()
}

#[cfg(test)]
mod tests {
    use super::mask_middle;

    #[test]
    fn keeps_the_ends() {
        assert_eq!(mask_middle("Berezniy", 1, 0), "B*******");
        assert_eq!(mask_middle("국", 1, 0), "국");
        assert_eq!(mask_middle("AA1234BB", 2, 2), "AA****BB");
        assert_eq!(mask_middle("ABCD", 2, 2), "ABCD");
        assert_eq!(mask_middle("", 1, 0), "");
    }
}
