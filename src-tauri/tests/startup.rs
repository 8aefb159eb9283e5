//! The shell's documented failure at startup (src/main.rs, "Failure at startup"): with no display
//! it logs one clear error and exits with status 1, never a panic. Being an integration test, it
//! also makes `cargo test` build the real `storyloom-desktop` binary, which the desktop
//! end-to-end step then runs (scripts/test.sh): one build of the shell for both.
use std::process::Command;

#[test]
fn without_a_display_the_shell_says_so_and_exits_1() {
    let data =
        std::env::temp_dir().join(format!("storyloom-desktop-startup-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_storyloom-desktop"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("STORYLOOM_DATA_DIR", &data)
        .env("RUST_LOG", "info")
        .output()
        .expect("the desktop binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no graphical display"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // It stopped before opening anything: no database made.
    assert!(!data.join("storyloom.db").exists());
}
