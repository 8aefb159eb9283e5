//! Multipart uploads: files stream into the blob store (never whole in memory) with the per-file
//! limit (100 MB by default) enforced as they arrive; text fields are small and bounded.
//!
//! Routes taking an [`UploadForm`] must be layered with `DefaultBodyLimit::disable()`: this extractor
//! enforces its own, clearer limits.
use std::collections::BTreeMap;

use axum::{
    extract::{FromRequest, Multipart, Request},
    http::{header, StatusCode},
};

use super::error::{ApiError, ErrorCode};
use crate::{blobs::BlobRef, AppState};

/// Largest text field of a form (names, ids, descriptions).
pub const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;
/// Room for field headers and text fields on top of the file limit, for the early Content-Length check.
const FORM_OVERHEAD_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field the file came in (`file`, `image`).
    pub field: String,
    /// The client's file name, reduced to its last path component.
    pub filename: String,
    /// As declared by the client; sniff the bytes before trusting it.
    pub content_type: Option<String>,
    pub blob: BlobRef,
}

/// A parsed `multipart/form-data` body.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub texts: BTreeMap<String, String>,
    pub files: Vec<UploadedFile>,
}

impl UploadForm {
    /// A text field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub fn require_text(&self, name: &str) -> Result<&str, ApiError> {
        self.text(name)
            .ok_or_else(|| ApiError::validation(name, format!("form field '{name}' is required")))
    }

    /// The file sent in one of these fields (first match), or 422 naming the first field.
    pub fn require_file(&self, names: &[&str]) -> Result<&UploadedFile, ApiError> {
        self.files
            .iter()
            .find(|f| names.contains(&f.field.as_str()))
            .ok_or_else(|| {
                let name = names.first().copied().unwrap_or("file");
                ApiError::validation(name, format!("a file in form field '{name}' is required"))
            })
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::too_large(format!(
        "the file is larger than the upload limit of {} MB ({limit} bytes)",
        limit / (1024 * 1024)
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    }
}

fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    if cleaned.is_empty() {
        "upload".into()
    } else {
        cleaned
    }
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_upload_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit + FORM_OVERHEAD_BYTES) {
            return Err(too_large(limit));
        }
        let mut multipart = Multipart::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a multipart/form-data body",
            )
        })?;
        let mut form = UploadForm::default();
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(e, limit))?
        {
            let name = field.name().unwrap_or("").to_string();
            if let Some(filename) = field.file_name().map(clean_filename) {
                let content_type = field.content_type().map(str::to_string);
                let mut writer = state.blobs.writer().map_err(ApiError::internal)?;
                while let Some(chunk) =
                    field.chunk().await.map_err(|e| multipart_error(e, limit))?
                {
                    if writer.size() + chunk.len() as u64 > limit {
                        return Err(too_large(limit));
                    }
                    writer.write(&chunk).map_err(ApiError::internal)?;
                }
                // With a bucket, finishing uploads the blob: on a blocking thread, not this task's.
                let blob = tokio::task::spawn_blocking(move || writer.finish())
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(ApiError::internal)?;
                form.files.push(UploadedFile {
                    field: name,
                    filename,
                    content_type,
                    blob,
                });
            } else {
                let mut buf = Vec::new();
                while let Some(chunk) =
                    field.chunk().await.map_err(|e| multipart_error(e, limit))?
                {
                    if buf.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                        return Err(ApiError::too_large(format!(
                            "form field '{name}' is longer than {MAX_TEXT_FIELD_BYTES} bytes"
                        ))
                        .with_field(name));
                    }
                    buf.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(buf).map_err(|_| {
                    ApiError::validation(&name, format!("form field '{name}' is not UTF-8 text"))
                })?;
                form.texts.insert(name, text);
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::clean_filename;

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\a\\剧本.txt"), "剧本.txt");
        assert_eq!(clean_filename("a\u{0}b.txt"), "ab.txt");
        assert_eq!(clean_filename("  "), "upload");
    }
}
