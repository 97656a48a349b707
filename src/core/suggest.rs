//! "Did you mean" for names a user types from memory (presets, shells).

/// Levenshtein distance over chars, case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known name closest to `typed`, when it is close enough to be a typo
/// (a third of its length, at least one edit) or `typed` is a prefix of it.
pub fn closest<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    // Long hostile input: nothing to suggest, and no quadratic work.
    if typed.is_empty() || typed.len() > 64 {
        return None;
    }
    let limit = (typed.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (distance(typed, k), *k))
        .filter(|(d, k)| *d <= limit || (typed.len() >= 2 && k.starts_with(typed)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos() {
        let known = ["goproxy.cn", "goproxy.io", "aliyun", "official", "corp"];
        assert_eq!(closest("goproxy.ch", &known), Some("goproxy.cn"));
        assert_eq!(closest("Aliyn", &known), Some("aliyun"));
        assert_eq!(closest("offic", &known), Some("official"));
        assert_eq!(closest("zzzzzz", &known), None);
        assert_eq!(closest(&"x".repeat(10_000), &known), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
