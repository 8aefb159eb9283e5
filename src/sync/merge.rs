//! A version's script edited on two sides at once merges line by line (three-way, against the
//! text both started from); where both changed the same lines it does not merge, and the later
//! edit wins with the other kept as a conflict copy (docs/SYNC.md, "Scripts").

/// The merged text, or None where both sides changed the same lines.
pub fn merge_lines(base: &str, ours: &str, theirs: &str) -> Option<String> {
    diffy::merge(base, ours, theirs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_of_different_lines_both_stay_and_the_same_line_does_not_merge() {
        let base = "INT. ROOF - NIGHT\nShe waits.\nHe arrives.\nThey argue.\n";
        let ours = "INT. ROOF - NIGHT\nShe waits, shivering.\nHe arrives.\nThey argue.\n";
        let theirs = "INT. ROOF - NIGHT\nShe waits.\nHe arrives.\nThey argue loudly.\n";
        assert_eq!(
            merge_lines(base, ours, theirs).as_deref(),
            Some("INT. ROOF - NIGHT\nShe waits, shivering.\nHe arrives.\nThey argue loudly.\n")
        );
        let clash = "INT. ROOF - NIGHT\nShe leaves.\nHe arrives.\nThey argue.\n";
        assert_eq!(merge_lines(base, ours, clash), None);
    }
}
