#!/usr/bin/env bash
# Installs what Storyloom needs to build, run and test on Debian/Ubuntu, then builds the UI.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # Tauri 2 / WebKitGTK desktop shell
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config
  # video export, offline TTS, CJK captions
  ffmpeg espeak-ng fonts-noto-cjk
  # headless GUI tests: the real window under Xvfb, and Chromium for Playwright
  xvfb xauth webkit2gtk-driver chromium
  # Python venv for the WebDriver client of the desktop test
  python3-venv
  # the team server's database (`serve --database postgres://…`): the API tests run on it too
  postgresql
  # the decks' check: LibreOffice opens each generated .pptx and prints it to PDF; pdfinfo counts pages
  libreoffice-impress poppler-utils
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "==> installing system packages: ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "error: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: Node.js 20.19+ with npm is required" >&2; exit 1; }

# replace_changed_files FROM TO: makes TO hold FROM's files, rewriting only those whose bytes differ.
# The desktop shell embeds ui/dist and Cargo rebuilds it when a file there has a new time; Vite
# writes every file anew, so building straight into ui/dist relinked the shell after every set-up.
replace_changed_files() {
  local from="$1" to="$2" f
  mkdir -p "$to"
  (cd "$from" && find . -type f) | while IFS= read -r f; do
    cmp -s "$from/$f" "$to/$f" || { mkdir -p "$(dirname "$to/$f")"; cp "$from/$f" "$to/$f"; }
  done
  (cd "$to" && find . -type f) | while IFS= read -r f; do
    [ -e "$from/$f" ] || rm "$to/$f"
  done
  find "$to" -mindepth 1 -type d -empty -delete
}

echo "==> building the UI (ui/dist)"
UI_BUILD="$(mktemp -d)"
# npm appends the arguments to the build script's last command, `vite build`.
(cd ui && npm ci --no-audit --no-fund && npm run build -- --outDir "$UI_BUILD" --emptyOutDir)
replace_changed_files "$UI_BUILD" ui/dist
rm -rf "$UI_BUILD"
