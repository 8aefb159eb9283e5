//! Stable order keys (fractional indices, `fractional_index` crate) for shots: moving a shot rewrites
//! its own key only, never its neighbours' (no renumbering storms, and concurrent moves merge).
//!
//! Keys are hex strings whose byte order is the list order, so SQLite's `ORDER BY order_key` (BINARY
//! collation) sorts them correctly.
use fractional_index::FractionalIndex;

fn parse(key: &str) -> Option<FractionalIndex> {
    FractionalIndex::from_string(key).ok()
}

/// A key strictly between `before` and `after` (either may be absent: list start or end). Unreadable
/// or out-of-order bounds fall back to a key after `before` (or before `after`), never a panic.
pub fn between(before: Option<&str>, after: Option<&str>) -> String {
    let lo = before.and_then(parse);
    let hi = after.and_then(parse);
    FractionalIndex::new(lo.as_ref(), hi.as_ref())
        .or_else(|| FractionalIndex::new(lo.as_ref(), None))
        .unwrap_or_default()
        .to_string()
}

/// `n` evenly spaced keys of equal length, for a whole list at once (a first parse). Appending one
/// key at a time would make keys grow with the list; spacing them leaves room to insert anywhere.
pub fn spread(n: usize) -> Vec<String> {
    // Digits 1..=254 keep clear of the byte values the crate treats specially at the edges.
    const BASE: u128 = 254;
    let mut width = 1u32;
    while BASE.pow(width) < (n as u128 + 1) * 16 {
        width += 1;
    }
    let step = BASE.pow(width) / (n as u128 + 1);
    (1..=n as u128)
        .map(|i| {
            let mut value = i * step;
            let mut digits = vec![0u8; width as usize];
            for d in digits.iter_mut().rev() {
                *d = (value % BASE) as u8 + 1;
                value /= BASE;
            }
            digits.push(0b1000_0000); // the crate's terminator byte
            FractionalIndex::from_bytes(digits)
                .map(|k| k.to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spread_keys_are_sorted_distinct_and_short() {
        for n in [0usize, 1, 2, 10, 254, 5_668, 100_000] {
            let keys = spread(n);
            assert_eq!(keys.len(), n);
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "n = {n}");
            if let Some(k) = keys.last() {
                assert!(k.len() <= 8, "key {k} for n = {n} is too long");
            }
        }
    }

    #[test]
    fn between_handles_ends_and_bad_bounds() {
        let keys = spread(3);
        let first = between(None, Some(&keys[0]));
        assert!(first < keys[0]);
        let last = between(Some(&keys[2]), None);
        assert!(last > keys[2]);
        let mid = between(Some(&keys[0]), Some(&keys[1]));
        assert!(keys[0] < mid && mid < keys[1]);
        // Out of order or garbage: still a usable key, no panic.
        assert!(between(Some(&keys[1]), Some(&keys[0])) > keys[1]);
        assert!(!between(Some("zz"), None).is_empty());
    }

    proptest! {
        /// Any sequence of inserts at random positions keeps the list strictly ordered by key.
        #[test]
        fn random_inserts_stay_ordered(initial in 0usize..20, positions in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys = spread(initial);
            for p in positions {
                let i = p % (keys.len() + 1);
                let before = if i == 0 { None } else { Some(keys[i - 1].as_str()) };
                let after = keys.get(i).map(String::as_str);
                let k = between(before, after);
                keys.insert(i, k);
            }
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
