//! Getting the video to a local file (docs/SUMMARIZE.md, "Sources"): a direct media URL is
//! fetched with a size and a time limit, a web page goes through yt-dlp when it is installed, an
//! upload is already here. On a multi-user server, addresses that reach the server's own network
//! (loopback, private, link-local…) are refused unless the admin allows them: every hop of a
//! redirect is checked, and the connection goes to the address that was checked.
use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::{Source, SummarizeError, VideoFile};
use crate::{error::ErrorCode, export::ffmpeg, AppState};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// What a fetch may do.
#[derive(Debug, Clone)]
pub struct SourceLimits {
    pub allow_private: bool,
    pub max_bytes: u64,
    pub timeout: Duration,
    pub ytdlp: PathBuf,
}

impl SourceLimits {
    pub fn for_state(state: &AppState) -> Self {
        let c = &state.config.summarize;
        Self {
            // One person's own machine may summarise what is on its own network.
            allow_private: state.local_owner_id.is_some() || c.allow_private_urls,
            max_bytes: c.max_download_bytes,
            timeout: Duration::from_secs(c.fetch_timeout_secs.max(1)),
            ytdlp: c.ytdlp_path.clone(),
        }
    }
}

/// The video, on disk, and what ffprobe says of it.
#[derive(Debug, Clone)]
pub struct Media {
    pub path: PathBuf,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// Subtitles that came beside the video (SRT or WebVTT text).
    pub sidecar: Option<String>,
    pub duration_ms: u64,
    pub has_audio: bool,
    /// The first subtitle stream's index among the file's subtitle streams, when it has one.
    pub subtitle_stream: Option<usize>,
}

impl Media {
    /// What the cache knows this source by: the video's bytes, and the subtitles sent beside it
    /// (they change the transcript).
    pub fn cache_identity(&self) -> String {
        match &self.sidecar {
            None => self.sha256.clone(),
            Some(subtitles) => {
                let mut h = Sha256::new();
                h.update(self.sha256.as_bytes());
                h.update(b"\n");
                h.update(subtitles.as_bytes());
                hex::encode(h.finalize())
            }
        }
    }

    pub fn video_file(&self) -> VideoFile {
        VideoFile {
            name: self.name.clone(),
            size_bytes: self.size,
            duration_ms: self.duration_ms,
            sha256: self.sha256.clone(),
            has_audio: self.has_audio,
        }
    }

    /// A title for the history: the file name without its extension.
    pub fn title(&self) -> String {
        let stem = Path::new(&self.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if stem.trim().is_empty() {
            "Untitled video".into()
        } else {
            stem
        }
    }
}

fn bad_url(message: impl Into<String>) -> SummarizeError {
    SummarizeError::invalid("url", message)
}

/// Whether an address is on the public internet (what a multi-user server may fetch).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 100.64.0.0/10 (carrier-grade NAT) and 0.0.0.0/8
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Parses and checks one URL, and resolves its host to the address to connect to.
async fn checked_target(
    raw: &str,
    limits: &SourceLimits,
) -> Result<(reqwest::Url, SocketAddr), SummarizeError> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| bad_url(format!("url is not a valid address: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_url("url must be an http or https address"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad_url("url has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| SummarizeError {
            retryable: true,
            ..bad_url(format!("cannot resolve {host}: {e}"))
        })?
        .collect();
    let first = *addrs
        .first()
        .ok_or_else(|| bad_url(format!("{host} has no address")))?;
    if !limits.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(SummarizeError {
            code: ErrorCode::Forbidden,
            field: Some("url"),
            message: format!(
                "{host} is a private, loopback or link-local address, which this server does not \
                 fetch (an admin may allow it with STORYLOOM_SUMMARIZE_ALLOW_PRIVATE_URLS)"
            ),
            retryable: false,
        });
    }
    Ok((url, first))
}

/// Checks a URL before any work starts: its form, that it resolves, and (on a multi-user
/// server) that it is public. The fetch checks again, hop by hop.
pub async fn check_url(raw: &str, limits: &SourceLimits) -> Result<(), SummarizeError> {
    checked_target(raw, limits).await.map(|_| ())
}

/// The last path segment of a URL, as a file name.
fn name_of(url: &reqwest::Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_decode(&s)
                .chars()
                .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                .take(120)
                .collect()
        })
        .unwrap_or_else(|| "video".into())
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// Brings the source to a local file under `work_dir` (an upload stays where it is).
pub async fn materialize(
    state: &AppState,
    source: &Source,
    limits: &SourceLimits,
    work_dir: &Path,
    cancel: &CancellationToken,
) -> Result<Media, SummarizeError> {
    let (path, name, sidecar) = match source {
        Source::Upload {
            path,
            name,
            subtitles,
        } => (path.clone(), name.clone(), subtitles.clone()),
        Source::Url(url) => {
            let (path, name, sidecar) = tokio::select! {
                _ = cancel.cancelled() => return Err(SummarizeError::cancelled()),
                r = tokio::time::timeout(limits.timeout, fetch(url, limits, work_dir)) => r.map_err(|_| {
                    SummarizeError::upstream(
                        format!("fetching the video took longer than {} s", limits.timeout.as_secs()),
                        true,
                    )
                })??,
            };
            (path, name, sidecar)
        }
    };
    let (sha256, size) = hash_file(&path).await?;
    let tools = tools(state)?;
    let probe_path = path.clone();
    let probe = tokio::task::spawn_blocking(move || ffmpeg::probe(&tools, &probe_path))
        .await
        .map_err(SummarizeError::internal)?
        .map_err(|e| {
            SummarizeError::invalid(
                "url",
                format!("the file is not a video or audio file ffmpeg can read ({e})"),
            )
        })?;
    let streams = probe.raw["streams"].as_array().cloned().unwrap_or_default();
    let has_audio = streams.iter().any(|s| s["codec_type"] == "audio");
    let subtitle_stream = streams
        .iter()
        .filter(|s| s["codec_type"] == "subtitle")
        .position(|s| is_text_subtitle(s["codec_name"].as_str().unwrap_or_default()));
    Ok(Media {
        path,
        name,
        size,
        sha256,
        sidecar,
        duration_ms: (probe.duration_secs.max(0.0) * 1000.0).round() as u64,
        has_audio,
        subtitle_stream,
    })
}

/// Subtitle codecs ffmpeg can turn into text (picture subtitles such as DVD or PGS cannot be).
fn is_text_subtitle(codec: &str) -> bool {
    matches!(
        codec,
        "subrip"
            | "srt"
            | "ass"
            | "ssa"
            | "mov_text"
            | "webvtt"
            | "text"
            | "microdvd"
            | "subviewer"
    )
}

pub(super) fn tools(state: &AppState) -> Result<ffmpeg::Tools, SummarizeError> {
    ffmpeg::Tools::locate(state.config.ffmpeg_path.as_deref())
        .map_err(|e| SummarizeError::new(ErrorCode::ServiceUnavailable, e.to_string()))
}

async fn hash_file(path: &Path) -> Result<(String, u64), SummarizeError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut file, &mut hasher)?;
        Ok::<_, std::io::Error>((hex::encode(hasher.finalize()), size))
    })
    .await
    .map_err(SummarizeError::internal)?
    .map_err(SummarizeError::internal)
}

/// A fetched video: its file, its name, and the subtitles that came with it.
type Fetched = (PathBuf, String, Option<String>);

/// GETs the URL (following checked redirects) into a file; a web page goes to yt-dlp.
async fn fetch(
    raw: &str,
    limits: &SourceLimits,
    work_dir: &Path,
) -> Result<Fetched, SummarizeError> {
    let mut next = raw.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let (url, addr) = checked_target(&next, limits).await?;
        let host = url.host_str().unwrap_or_default().to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&host, addr)
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("Storyloom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SummarizeError::internal)?;
        let response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| SummarizeError::upstream(format!("cannot fetch {url}: {e}"), true))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    SummarizeError::upstream(format!("{url} redirects nowhere ({status})"), false)
                })?;
            next = url
                .join(location)
                .map_err(|e| bad_url(format!("{url} redirects to a bad address: {e}")))?
                .to_string();
            continue;
        }
        if !status.is_success() {
            let retryable = status.is_server_error() || status.as_u16() == 429;
            return Err(SummarizeError::upstream(
                format!("fetching {url} answered {status}"),
                retryable,
            ));
        }
        let mime = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if mime.starts_with("text/html") || mime.starts_with("application/xhtml") {
            drop(response);
            return ytdlp(url.as_str(), limits, work_dir).await;
        }
        if let Some(len) = response.content_length() {
            if len > limits.max_bytes {
                return Err(too_large(limits));
            }
        }
        let name = name_of(&url);
        let path = work_dir.join("source.media");
        save_body(response, &path, limits).await?;
        return Ok((path, name, None));
    }
    Err(SummarizeError::upstream(
        format!("{raw} redirects more than {MAX_REDIRECTS} times"),
        false,
    ))
}

fn too_large(limits: &SourceLimits) -> SummarizeError {
    SummarizeError {
        field: Some("url"),
        ..SummarizeError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the video is larger than the limit of {} MB",
                limits.max_bytes / (1024 * 1024)
            ),
        )
    }
}

async fn save_body(
    mut response: reqwest::Response,
    path: &Path,
    limits: &SourceLimits,
) -> Result<(), SummarizeError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(SummarizeError::internal)?;
    let mut written = 0u64;
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            SummarizeError::upstream(format!("the video's download broke off: {e}"), true)
        })?;
        let Some(chunk) = chunk else { break };
        written += chunk.len() as u64;
        if written > limits.max_bytes {
            return Err(too_large(limits));
        }
        file.write_all(&chunk)
            .await
            .map_err(SummarizeError::internal)?;
    }
    file.flush().await.map_err(SummarizeError::internal)?;
    if written == 0 {
        return Err(SummarizeError::invalid(
            "url",
            "the address answered with an empty file",
        ));
    }
    Ok(())
}

/// A platform's page: yt-dlp downloads its video, with the platform's subtitles when it has
/// them, when it is installed; a clear error says how to get it when it is not.
async fn ytdlp(
    url: &str,
    limits: &SourceLimits,
    work_dir: &Path,
) -> Result<Fetched, SummarizeError> {
    let missing = || {
        SummarizeError {
        code: ErrorCode::ValidationError,
        field: Some("url"),
        message: format!(
            "{url} is a web page, not a video file: summarizing platform pages needs yt-dlp \
             (install it with `pipx install yt-dlp` or `apt install yt-dlp`, or set STORYLOOM_YTDLP), \
             or use the video file's own address"
        ),
        retryable: false,
    }
    };
    let version = tokio::process::Command::new(&limits.ytdlp)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .await;
    if !version.is_ok_and(|o| o.status.success()) {
        return Err(missing());
    }
    let template = work_dir.join("page.%(ext)s");
    let mut command = tokio::process::Command::new(&limits.ytdlp);
    if !limits.allow_private {
        // yt-dlp's own downloads are not checked like ours: on a multi-user server only the known
        // platforms' extractors run, never the generic one that follows whatever a page links to.
        command.args(["--ies", "default,-generic"]);
    }
    let out = command
        .args([
            "--no-playlist",
            "--no-progress",
            "--quiet",
            "--max-filesize",
            &limits.max_bytes.to_string(),
            "-f",
            "best",
            // The platform's subtitles (its own, else its automatic ones) are the best transcript.
            "--write-subs",
            "--write-auto-subs",
            "--sub-format",
            "srt/vtt/best",
            "--sub-langs",
            "all,-live_chat",
            "--print",
            "after_move:filepath",
            "--print",
            "title",
            "-o",
        ])
        .arg(&template)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| SummarizeError::upstream(format!("yt-dlp could not run: {e}"), false))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(SummarizeError::upstream(
            format!(
                "yt-dlp could not get the video of {url}: {}",
                err.lines().last().unwrap_or("no message").trim()
            ),
            false,
        ));
    }
    let printed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (title, file) = match lines.as_slice() {
        [.., title, file] => (title.to_string(), PathBuf::from(file)),
        _ => {
            return Err(SummarizeError::upstream(
                "yt-dlp printed no file name",
                false,
            ))
        }
    };
    // yt-dlp writes where its template says; anything else is not ours to read.
    if !file.starts_with(work_dir) || !file.is_file() {
        return Err(SummarizeError::upstream(
            "yt-dlp reported a file outside its work folder",
            false,
        ));
    }
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mp4".into());
    Ok((file, format!("{title}.{ext}"), subtitles_beside(work_dir)))
}

/// The first subtitle file (by name) yt-dlp wrote beside the video: `page.<lang>.srt|vtt`.
fn subtitles_beside(work_dir: &Path) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(work_dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "srt" || e == "vtt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .find_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .filter(|t| t.contains("-->"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_url_names_its_file() {
        let url = reqwest::Url::parse("https://cdn.example/v/%E7%89%87.mp4?x=1").unwrap();
        assert_eq!(name_of(&url), "片.mp4");
        let url = reqwest::Url::parse("https://cdn.example/").unwrap();
        assert_eq!(name_of(&url), "video");
    }
}
