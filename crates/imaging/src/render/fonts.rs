//! Finding and loading a CJK-capable font. No fontconfig: a fixed, documented search order over
//! known files and directories, the first font that has Chinese glyphs wins.
use std::{
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use ab_glyph::{Font, FontVec};

use super::RenderError;

/// Environment variable naming a font file (`.ttf`, `.otf`, `.ttc`) to use instead of searching.
pub const FONT_ENV: &str = "STORYLOOM_FONT";

/// What to tell a person whose machine has no usable font.
pub const INSTALL_HINT: &str =
    "install a CJK font: `apt-get install fonts-noto-cjk` (Debian/Ubuntu), \
`dnf install google-noto-sans-cjk-fonts` (Fedora), or set STORYLOOM_FONT to a .ttf/.otf/.ttc file, \
or put one in assets/fonts/";

/// Font files tried in order before any directory is scanned.
const KNOWN_FILES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// Directories scanned (two levels deep) for files whose names look like CJK fonts.
const KNOWN_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:\\Windows\\Fonts",
];

const CJK_NAME_HINTS: &[&str] = &[
    "cjk",
    "sourcehan",
    "wqy",
    "droidsansfallback",
    "pingfang",
    "msyh",
    "simhei",
    "simsun",
    "hiragino",
    "heiti",
    "notosanssc",
    "notosans-sc",
    "uming",
    "ukai",
];

/// A loaded font, cheap to clone and shared between threads.
#[derive(Clone)]
pub struct Fonts {
    inner: Arc<Loaded>,
}

struct Loaded {
    font: FontVec,
    path: PathBuf,
    index: u32,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("path", &self.inner.path)
            .field("index", &self.inner.index)
            .finish()
    }
}

impl Fonts {
    /// Finds a CJK font: the configured file (`Config::font_path`, from `$STORYLOOM_FONT`) →
    /// `assets/fonts/` next to the executable (and its parent), then the repository's → known
    /// system files → known system directories.
    pub fn load(configured: Option<&Path>) -> Result<Self, RenderError> {
        let env = configured.map(Path::to_path_buf);
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(exe_dir) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            dirs.push(exe_dir.join("assets/fonts"));
            if let Some(up) = exe_dir.parent() {
                dirs.push(up.join("assets/fonts"));
            }
        }
        // The repository's assets, two levels above this crate.
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts"));
        if let Some(home) = dirs::home_dir() {
            dirs.push(home.join(".local/share/fonts"));
            dirs.push(home.join(".fonts"));
            dirs.push(home.join("Library/Fonts"));
        }
        let files: Vec<PathBuf> = KNOWN_FILES.iter().map(PathBuf::from).collect();
        let system: Vec<PathBuf> = KNOWN_DIRS.iter().map(PathBuf::from).collect();
        Self::load_from(env, &dirs, &files, &system)
    }

    /// The process-wide font, loaded on first use. A failure is not cached, so installing a font
    /// fixes a running app.
    pub fn shared(configured: Option<&Path>) -> Result<Self, RenderError> {
        static SHARED: OnceLock<Fonts> = OnceLock::new();
        if let Some(f) = SHARED.get() {
            return Ok(f.clone());
        }
        let loaded = Self::load(configured)?;
        Ok(SHARED.get_or_init(|| loaded).clone())
    }

    /// One font file; for a collection (`.ttc`) the Simplified Chinese face is chosen by name.
    pub fn from_path(path: &Path) -> Result<Self, RenderError> {
        let bytes = std::fs::read(path).map_err(|e| RenderError::FontInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(bytes, path)
    }

    fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Self, RenderError> {
        let index = preferred_face(&bytes);
        let font = FontVec::try_from_vec_and_index(bytes, index).map_err(|e| {
            RenderError::FontInvalid {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        // A font without Chinese glyphs would draw every caption as boxes.
        if font.glyph_id('中').0 == 0 || font.glyph_id('A').0 == 0 {
            return Err(RenderError::FontInvalid {
                path: path.to_path_buf(),
                reason: "it has no Chinese (or no Latin) glyphs".into(),
            });
        }
        Ok(Self {
            inner: Arc::new(Loaded {
                font,
                path: path.to_path_buf(),
                index,
            }),
        })
    }

    pub(crate) fn load_from(
        env: Option<PathBuf>,
        asset_dirs: &[PathBuf],
        files: &[PathBuf],
        system_dirs: &[PathBuf],
    ) -> Result<Self, RenderError> {
        // An explicit choice that does not work is an error, not a silent fallback.
        if let Some(path) = env {
            return Self::from_path(&path).map_err(|e| match e {
                RenderError::FontInvalid { path, reason } => RenderError::FontInvalid {
                    path,
                    reason: format!("{reason} (from {FONT_ENV})"),
                },
                other => other,
            });
        }
        let mut tried: Vec<String> = Vec::new();
        let try_path = |p: &Path, tried: &mut Vec<String>| -> Option<Self> {
            match Self::from_path(p) {
                Ok(f) => Some(f),
                Err(e) => {
                    tried.push(e.to_string());
                    None
                }
            }
        };
        for dir in asset_dirs {
            for p in font_files(dir, 0, |_| true) {
                if let Some(f) = try_path(&p, &mut tried) {
                    return Ok(f);
                }
            }
        }
        for p in files.iter().filter(|p| p.is_file()) {
            if let Some(f) = try_path(p, &mut tried) {
                return Ok(f);
            }
        }
        for dir in system_dirs {
            for p in font_files(dir, 2, looks_cjk) {
                if let Some(f) = try_path(&p, &mut tried) {
                    return Ok(f);
                }
            }
        }
        let mut msg = format!("no CJK-capable font found; {INSTALL_HINT}");
        if !tried.is_empty() {
            msg.push_str(&format!(" (unusable: {})", tried.join("; ")));
        }
        Err(RenderError::FontNotFound(msg))
    }

    pub(crate) fn font(&self) -> &FontVec {
        &self.inner.font
    }

    /// The file the font came from, for provenance and logs.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The face index inside a collection (0 for a single-font file).
    pub fn face_index(&self) -> u32 {
        self.inner.index
    }
}

fn looks_cjk(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CJK_NAME_HINTS.iter().any(|h| name.contains(h))
}

/// Font files in `dir` (sorted, so the choice is stable), descending `depth` more levels.
fn font_files(dir: &Path, depth: u32, accept: fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            if depth > 0 {
                out.extend(font_files(&p, depth - 1, accept));
            }
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let is_font = [".ttf", ".otf", ".ttc", ".otc"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if is_font && accept(name) {
            out.push(p);
        }
    }
    out
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// For a collection, the face whose name marks it Simplified Chinese (Noto's "… CJK SC", "PingFang
/// SC"), avoiding monospaced faces; otherwise face 0.
pub(crate) fn preferred_face(bytes: &[u8]) -> u32 {
    if bytes.get(..4) != Some(b"ttcf") {
        return 0;
    }
    let count = be32(bytes, 8).unwrap_or(0).min(64);
    let mut fallback = None;
    for i in 0..count {
        let Some(offset) = be32(bytes, 12 + 4 * i) else {
            break;
        };
        let names = face_names(bytes, offset).unwrap_or_default();
        let sc = names.iter().any(|n| {
            n.ends_with(" SC")
                || n.contains(" SC ")
                || n.contains("Simplified")
                || n.ends_with(" GB")
        });
        if sc {
            let mono = names.iter().any(|n| n.contains("Mono"));
            if !mono {
                return i as u32;
            }
            fallback.get_or_insert(i as u32);
        }
    }
    fallback.unwrap_or(0)
}

/// Family and full names (name ids 1, 4, 16) of the face whose table directory starts at `offset`.
fn face_names(b: &[u8], offset: usize) -> Option<Vec<String>> {
    let tables = be16(b, offset + 4)?;
    let mut name_table = None;
    for t in 0..tables {
        let rec = offset + 12 + 16 * t;
        if b.get(rec..rec + 4)? == b"name" {
            name_table = Some(be32(b, rec + 8)?);
            break;
        }
    }
    let nt = name_table?;
    let count = be16(b, nt + 2)?;
    let strings = nt + be16(b, nt + 4)?;
    let mut out = Vec::new();
    for r in 0..count {
        let rec = nt + 6 + 12 * r;
        let (platform, name_id) = (be16(b, rec)?, be16(b, rec + 6)?);
        let (len, off) = (be16(b, rec + 8)?, be16(b, rec + 10)?);
        if !matches!(name_id, 1 | 4 | 16) {
            continue;
        }
        let Some(raw) = b.get(strings + off..strings + off + len) else {
            continue;
        };
        let s = match platform {
            // Unicode and Windows platforms store UTF-16BE.
            0 | 3 => {
                let units: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            _ => raw.iter().map(|&c| c as char).collect(),
        };
        out.push(s);
    }
    Some(out)
}
