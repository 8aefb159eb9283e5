//! Token counts the router needs without a tokenizer: an upper bound for the hold (never less than
//! what the upstream will report), and an estimate for billing a stream that never said its usage.

/// At most this many tokens: byte-level BPE tokens each cover at least one byte, plus what chat
/// formatting adds per message.
pub fn upper_bound(prompt_bytes: usize, messages: usize) -> i64 {
    i64::try_from(prompt_bytes + 8 * messages + 16).unwrap_or(i64::MAX)
}

/// About how many tokens `text` is: a token per four ASCII characters, one per other character
/// (CJK runs about one a character). Used only when the upstream did not report usage.
pub fn estimate(text: &str) -> i64 {
    let (ascii, other) = text.chars().fold((0usize, 0usize), |(a, o), c| {
        if c.is_ascii() {
            (a + 1, o)
        } else {
            (a, o + 1)
        }
    });
    i64::try_from(ascii.div_ceil(4) + other).unwrap_or(i64::MAX)
}

/// Credits for a call at per-1,000-token prices, rounded up (a call that used anything costs at
/// least a credit when its price is not zero).
pub fn credits(prompt: i64, completion: i64, price_in: i64, price_out: i64) -> i64 {
    let milli = prompt
        .saturating_mul(price_in)
        .saturating_add(completion.saturating_mul(price_out));
    (milli + 999) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_and_bounds() {
        assert_eq!(estimate("abcdefgh"), 2);
        assert_eq!(estimate("你好"), 2);
        assert_eq!(estimate(""), 0);
        // The bound is never below the estimate.
        let text = "Hello, 世界, how are you?";
        assert!(upper_bound(text.len(), 1) >= estimate(text));
        assert_eq!(credits(0, 0, 5, 5), 0);
        assert_eq!(credits(1, 0, 1, 0), 1);
        assert_eq!(credits(1000, 2000, 2, 4), 10);
        assert_eq!(credits(1500, 0, 1, 0), 2);
    }
}
