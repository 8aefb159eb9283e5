-- Desktop updates (docs/API-UPDATES.md; SQLite's 0024, INTEGER as BIGINT): the builds of the desktop app an instance admin uploaded,
-- each signed with the team's update key, served to the desktop's updater by target and arch.
-- A withdrawn release stays (its row says when), so what desktops were offered can be told later.
CREATE TABLE desktop_releases (
    id           TEXT PRIMARY KEY,
    target       TEXT NOT NULL CHECK (target IN ('linux', 'windows', 'darwin')),
    arch         TEXT NOT NULL CHECK (arch IN ('x86_64', 'aarch64', 'i686', 'armv7')),
    -- Semantic version, without a leading "v".
    version      TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    -- The content of the artifact's .sig file, as `tauri signer sign` writes it.
    signature    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size > 0),
    filename     TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (target, arch, version)
);
CREATE INDEX desktop_releases_platform ON desktop_releases (target, arch);
CREATE INDEX desktop_releases_sha256 ON desktop_releases (sha256);
