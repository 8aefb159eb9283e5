//! Finding and running ffmpeg/ffprobe. Found by: `STORYLOOM_FFMPEG` (or the configured path) → a
//! binary beside the running executable (`ffmpeg`, or Tauri's `externalBin` name
//! `ffmpeg-<target triple>`) → `PATH`. Never downloaded (ffmpeg-sidecar's downloader is compiled out).
//!
//! Everything here blocks: call it from `spawn_blocking`.
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
};

use ffmpeg_sidecar::{child::FfmpegChild, command::FfmpegCommand, event::FfmpegEvent};
use serde_json::Value;

/// How to fix a missing ffmpeg, said in every error about it.
pub const INSTALL_HINT: &str = "install ffmpeg (Debian/Ubuntu: `sudo apt install ffmpeg`; macOS: \
     `brew install ffmpeg`), put an `ffmpeg` binary beside the Storyloom executable, or set \
     STORYLOOM_FFMPEG to its path";

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} was not found: {hint}")]
    Missing { tool: &'static str, hint: String },
    #[error("{tool} at {path} does not work ({reason}): {hint}")]
    Broken {
        tool: &'static str,
        path: String,
        reason: String,
        hint: String,
    },
    #[error("ffmpeg failed: {0}")]
    Failed(String),
    #[error("the export was cancelled")]
    Cancelled,
    #[error("could not read the encoded file: {0}")]
    Probe(String),
}

/// The located tools.
#[derive(Debug, Clone)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// The first line of `ffmpeg -version`.
    pub version: String,
}

fn target_triple() -> &'static str {
    // The triples Tauri names sidecars with on the platforms Storyloom ships for.
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        "x86_64-unknown-linux-gnu"
    } else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
        "aarch64-unknown-linux-gnu"
    } else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
        "aarch64-apple-darwin"
    } else if cfg!(all(target_os = "macos", target_arch = "x86_64")) {
        "x86_64-apple-darwin"
    } else if cfg!(target_os = "windows") {
        "x86_64-pc-windows-msvc"
    } else {
        "unknown"
    }
}

fn exe_name(base: &str) -> String {
    if cfg!(windows) {
        format!("{base}.exe")
    } else {
        base.to_string()
    }
}

/// Candidate paths for `tool` in lookup order (the first that exists wins).
pub fn candidates(tool: &str, configured: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = configured {
        if tool == "ffmpeg" {
            out.push(p.to_path_buf());
        } else if let Some(dir) = p.parent() {
            // ffprobe sits beside a configured ffmpeg.
            out.push(dir.join(exe_name(tool)));
        }
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        out.push(dir.join(exe_name(tool)));
        out.push(dir.join(exe_name(&format!("{tool}-{}", target_triple()))));
    }
    if let Some(path) = std::env::var_os("PATH") {
        out.extend(std::env::split_paths(&path).map(|d| d.join(exe_name(tool))));
    }
    out
}

fn find(tool: &'static str, configured: Option<&Path>) -> Result<PathBuf, ToolError> {
    if let Some(p) = configured.filter(|_| tool == "ffmpeg") {
        if !p.is_file() {
            return Err(ToolError::Missing {
                tool,
                hint: format!(
                    "STORYLOOM_FFMPEG points at {}, which is not a file; {INSTALL_HINT}",
                    p.display()
                ),
            });
        }
    }
    candidates(tool, configured)
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| ToolError::Missing {
            tool,
            hint: INSTALL_HINT.into(),
        })
}

impl Tools {
    /// Finds ffmpeg and ffprobe and checks that ffmpeg runs and has the encoders exports need.
    pub fn locate(configured: Option<&Path>) -> Result<Self, ToolError> {
        let ffmpeg = find("ffmpeg", configured)?;
        let ffprobe = find("ffprobe", configured)?;
        let broken = |reason: String| ToolError::Broken {
            tool: "ffmpeg",
            path: ffmpeg.display().to_string(),
            reason,
            hint: INSTALL_HINT.into(),
        };
        let out = Command::new(&ffmpeg)
            .args(["-hide_banner", "-version"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| broken(e.to_string()))?;
        if !out.status.success() {
            return Err(broken(format!(
                "`ffmpeg -version` exited with {}",
                out.status
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text.lines().next().unwrap_or_default().to_string();
        if !version.starts_with("ffmpeg version") {
            return Err(broken(format!("unexpected `-version` output: {version}")));
        }
        Ok(Self {
            ffmpeg,
            ffprobe,
            version,
        })
    }
}

/// Progress of a running encode.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub frame: u64,
    pub speed: f32,
}

/// A handle that kills the running ffmpeg from another thread.
#[derive(Clone, Default)]
pub struct KillSwitch(Arc<Mutex<KillState>>);

#[derive(Default)]
struct KillState {
    killed: bool,
    child: Option<FfmpegChild>,
}

impl KillSwitch {
    /// Kills ffmpeg now (or as soon as it starts).
    pub fn kill(&self) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.killed = true;
        if let Some(child) = s.child.as_mut() {
            let _ = child.kill();
        }
    }

    pub fn killed(&self) -> bool {
        self.0.lock().map(|s| s.killed).unwrap_or(true)
    }
}

/// Makes the child die with this process (Linux): a killed server or desktop app must not leave
/// ffmpeg encoding for nobody, its work redone by the next start. The signal fires when the
/// spawning *thread* ends; [`run`] stays on that thread until ffmpeg exits, so that is in time.
pub fn die_with_parent(cmd: &mut std::process::Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only async-signal-safe calls are allowed: prctl and
        // getppid are system calls; nothing allocates.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may already have died between fork and prctl.
                if libc::getppid() == 1 {
                    return Err(std::io::Error::other("the parent process has exited"));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Runs ffmpeg with `args` in `dir`, calling `on_progress` as frames are encoded. Returns when ffmpeg
/// exits; a non-zero exit is [`ToolError::Failed`] with ffmpeg's last error lines.
pub fn run(
    tools: &Tools,
    dir: &Path,
    args: &[String],
    kill: &KillSwitch,
    mut on_progress: impl FnMut(Progress),
) -> Result<(), ToolError> {
    let mut cmd = FfmpegCommand::new_with_path(&tools.ffmpeg);
    cmd.args(args);
    cmd.as_inner_mut().current_dir(dir);
    die_with_parent(cmd.as_inner_mut());
    let mut child = cmd
        .spawn()
        .map_err(|e| ToolError::Failed(format!("cannot start {}: {e}", tools.ffmpeg.display())))?;
    let iter = child
        .iter()
        .map_err(|e| ToolError::Failed(format!("cannot read ffmpeg's output: {e}")))?;
    {
        let mut s = kill.0.lock().unwrap_or_else(|p| p.into_inner());
        if s.killed {
            let _ = child.kill();
        }
        s.child = Some(child);
    }
    let mut errors: Vec<String> = Vec::new();
    for event in iter {
        match event {
            FfmpegEvent::Progress(p) => on_progress(Progress {
                frame: p.frame as u64,
                speed: p.speed,
            }),
            FfmpegEvent::Log(
                ffmpeg_sidecar::event::LogLevel::Error | ffmpeg_sidecar::event::LogLevel::Fatal,
                msg,
            ) => {
                errors.push(msg);
                if errors.len() > 8 {
                    errors.remove(0);
                }
            }
            FfmpegEvent::Error(msg) => errors.push(msg),
            _ => {}
        }
    }
    let status = {
        let mut s = kill.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut child = s.child.take();
        let status = child.as_mut().map(FfmpegChild::wait);
        if s.killed {
            return Err(ToolError::Cancelled);
        }
        status
    };
    match status {
        Some(Ok(st)) if st.success() => Ok(()),
        Some(Ok(st)) => Err(ToolError::Failed(if errors.is_empty() {
            format!("ffmpeg exited with {st}")
        } else {
            errors.join("; ")
        })),
        Some(Err(e)) => Err(ToolError::Failed(e.to_string())),
        None => Err(ToolError::Failed("ffmpeg vanished".into())),
    }
}

/// What ffprobe says about a file.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub duration_secs: f64,
    pub size_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub video_codec: String,
    pub audio_codec: Option<String>,
    pub subtitle_codec: Option<String>,
    pub raw: Value,
}

/// How long a media file plays, in seconds (audio alone is fine: the model router prices
/// transcriptions by it).
pub fn media_duration(tools: &Tools, file: &Path) -> Result<f64, ToolError> {
    let out = Command::new(&tools.ffprobe)
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ToolError::Probe(e.to_string()))?;
    if !out.status.success() {
        return Err(ToolError::Probe(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse::<f64>()
        .map_err(|_| ToolError::Probe(format!("no duration in {:?}", text.trim())))
}

pub fn probe(tools: &Tools, file: &Path) -> Result<Probe, ToolError> {
    let out = Command::new(&tools.ffprobe)
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ToolError::Probe(e.to_string()))?;
    if !out.status.success() {
        return Err(ToolError::Probe(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let raw: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| ToolError::Probe(e.to_string()))?;
    let streams = raw["streams"].as_array().cloned().unwrap_or_default();
    let of = |kind: &str| streams.iter().find(|s| s["codec_type"] == kind).cloned();
    let video = of("video").ok_or_else(|| ToolError::Probe("no video stream".into()))?;
    let num = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .or_else(|| v.as_f64())
    };
    Ok(Probe {
        duration_secs: num(&raw["format"]["duration"]).unwrap_or(0.0),
        size_bytes: num(&raw["format"]["size"]).unwrap_or(0.0) as u64,
        width: video["width"].as_u64().unwrap_or(0) as u32,
        height: video["height"].as_u64().unwrap_or(0) as u32,
        video_codec: video["codec_name"].as_str().unwrap_or_default().to_string(),
        audio_codec: of("audio").and_then(|s| s["codec_name"].as_str().map(str::to_string)),
        subtitle_codec: of("subtitle").and_then(|s| s["codec_name"].as_str().map(str::to_string)),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parent's death (here: the spawning thread's, which is what the kernel watches) kills
    /// the child; without `die_with_parent` the child sleeps on, reparented to init.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_child_dies_with_the_thread_that_started_it() {
        use std::os::unix::process::ExitStatusExt;
        let mut child = std::thread::spawn(|| {
            let mut cmd = std::process::Command::new("sleep");
            cmd.arg("30");
            die_with_parent(&mut cmd);
            cmd.spawn().unwrap()
        })
        .join()
        .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("the child outlived its parent");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }

    #[test]
    fn a_configured_path_comes_first_then_beside_the_binary_then_path() {
        let c = candidates("ffmpeg", Some(Path::new("/opt/ff/bin/ffmpeg")));
        assert_eq!(c[0], PathBuf::from("/opt/ff/bin/ffmpeg"));
        let exe_dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        assert_eq!(c[1], exe_dir.join(exe_name("ffmpeg")));
        assert!(c[2]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ffmpeg-"));
        let probe = candidates("ffprobe", Some(Path::new("/opt/ff/bin/ffmpeg")));
        assert_eq!(
            probe[0],
            PathBuf::from("/opt/ff/bin").join(exe_name("ffprobe"))
        );
    }

    #[test]
    fn a_configured_path_that_is_not_a_file_says_how_to_fix_it() {
        let err = Tools::locate(Some(Path::new("/nonexistent/ffmpeg"))).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/ffmpeg"), "{msg}");
        assert!(msg.contains("apt install ffmpeg"), "{msg}");
    }

    #[test]
    fn a_binary_that_is_not_ffmpeg_is_broken_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("ffmpeg");
        std::fs::write(&fake, "#!/bin/sh\necho not ffmpeg\n").unwrap();
        std::fs::write(dir.path().join("ffprobe"), "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["ffmpeg", "ffprobe"] {
                std::fs::set_permissions(
                    dir.path().join(f),
                    std::fs::Permissions::from_mode(0o755),
                )
                .unwrap();
            }
        }
        let err = Tools::locate(Some(&fake)).unwrap_err();
        assert!(matches!(err, ToolError::Broken { .. }), "{err}");
        assert!(err.to_string().contains("STORYLOOM_FFMPEG"));
    }
}
