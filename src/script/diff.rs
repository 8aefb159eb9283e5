//! Shot fingerprints and re-parse matching: a shot whose content did not change keeps its
//! fingerprint, so the caller can carry its id and manual edits over to the new parse.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{DialogueLine, Shot, ShotKind};

/// One new shot and, if its content is unchanged, the old shot it corresponds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShotMatch {
    /// Index into the new shots.
    pub new_index: usize,
    /// Index into the old shots; `None` for a new or edited shot.
    pub old_index: Option<usize>,
}

/// SHA-256 (hex) of the kind, the text and, for dialogue, the speakers and their extensions and
/// parentheticals. The texts are already normalised ([`super::text::clean`]: emphasis removed,
/// whitespace collapsed), so re-wrapping a line is no edit. Scene and shot numbers are left out on
/// purpose: inserting a scene must not change every later fingerprint.
pub(crate) fn fingerprint(kind: ShotKind, text: &str, lines: &[DialogueLine]) -> String {
    // One buffer and one digest call: the generic hashing wrappers are slow in debug builds.
    let mut buf: Vec<u8> = Vec::with_capacity(text.len() + 64);
    buf.extend_from_slice(kind.as_str().as_bytes());
    buf.push(0x1f);
    match kind {
        ShotKind::Action => buf.extend_from_slice(text.as_bytes()),
        ShotKind::Dialogue => {
            for line in lines {
                for part in [
                    line.character.as_str(),
                    line.extension.as_deref().unwrap_or(""),
                    line.parenthetical.as_deref().unwrap_or(""),
                    line.text.as_str(),
                ] {
                    buf.extend_from_slice(part.as_bytes());
                    buf.push(0x1e);
                }
                buf.push(0x1d);
            }
        }
    }
    let digest: [u8; 32] = Sha256::digest(&buf).into();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < digest.len() {
        let byte = digest[i];
        out[2 * i] = HEX[usize::from(byte >> 4)];
        out[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        i += 1;
    }
    // Always ASCII, so the lossy conversion never replaces anything.
    String::from_utf8_lossy(&out).into_owned()
}

/// Pairs every new shot with the first not-yet-used old shot of the same fingerprint, in order.
/// Old shots left unmatched were edited or deleted.
#[tracing::instrument(skip_all, fields(old = old.len(), new = new.len()))]
pub fn diff_shots(old: &[Shot], new: &[Shot]) -> Vec<ShotMatch> {
    let old: Vec<&str> = old.iter().map(|s| s.fingerprint.as_str()).collect();
    let new: Vec<&str> = new.iter().map(|s| s.fingerprint.as_str()).collect();
    diff_fingerprints(&old, &new)
}

/// [`diff_shots`] over bare fingerprints (what storage keeps of earlier parses).
pub fn diff_fingerprints(old: &[&str], new: &[&str]) -> Vec<ShotMatch> {
    let mut pool: BTreeMap<&str, VecDeque<usize>> = BTreeMap::new();
    for (i, fp) in old.iter().enumerate() {
        pool.entry(fp).or_default().push_back(i);
    }
    new.iter()
        .enumerate()
        .map(|(new_index, fp)| ShotMatch {
            new_index,
            old_index: pool.get_mut(fp).and_then(VecDeque::pop_front),
        })
        .collect()
}
