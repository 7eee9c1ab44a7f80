//! Words for counts: "1 exchange", "2 exchanges".

/// `n` and the noun, plural unless `n` is 1.
pub fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular() {
        assert_eq!(super::count(1, "code block"), "1 code block");
        assert_eq!(super::count(0, "exchange"), "0 exchanges");
        assert_eq!(super::count(3, "exchange"), "3 exchanges");
    }
}
