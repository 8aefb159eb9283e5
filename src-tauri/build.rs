//! Build script of the desktop shell.
//!
//! The one Tauri configuration lives at the repository root (`../tauri.conf.json`), and every
//! relative path in it (`build.frontendDist`, `bundle.icon`) is relative to the repository root.
//!
//! * `tauri::generate_context!("../tauri.conf.json")` in `src/main.rs` reads that file directly;
//!   tauri-codegen resolves relative paths against the directory holding the config, i.e. the root.
//! * `tauri-build` (this script) insists on finding `tauri.conf.json` in the crate directory, so
//!   `src-tauri/tauri.conf.json` is a symlink to `../tauri.conf.json` (same bytes, one source of
//!   truth). tauri-build resolves *its* paths against the crate directory, but on Linux and macOS
//!   it only touches paths for `bundle.resources` / `bundle.externalBin` / macOS frameworks, which
//!   we do not use; the one it needs on Windows (the `.ico` for the executable's resource) is
//!   given explicitly below. Keep those config keys empty, or make them work from both places.
//!
//! Rebuild triggers: `generate_context!` reads the config and the icons at compile time, but only
//! the embedded `ui/dist` files end up in rustc's dependency info (via `include_bytes!`). So this
//! script watches the root config itself (tauri-build also watches the symlink), the icons, the
//! capabilities and the frontend; when it re-runs, cargo recompiles the crate and the macro sees
//! the new config. (Checked: editing the window title in `../tauri.conf.json` changes the binary.)
fn main() {
    for path in [
        "../tauri.conf.json",
        "../assets/icons",
        "../ui/dist",
        "capabilities",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }

    let windows =
        tauri_build::WindowsAttributes::new().window_icon_path("../assets/icons/icon.ico");
    let attributes = tauri_build::Attributes::new().windows_attributes(windows);
    if let Err(error) = tauri_build::try_build(attributes) {
        // A clean one-line failure instead of a build-script panic.
        println!("cargo:warning=tauri-build failed: {error:#}");
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
