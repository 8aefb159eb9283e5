//! The shot vocabulary: every shot type and camera move a storyboard may name. The renderer
//! frames each shot type its own way and prints both as words on the storyboard sheet; the core's
//! storyboard validates edits against the same lists.

pub const SHOT_TYPES: &[&str] = &[
    "extreme_wide",
    "wide",
    "full",
    "medium",
    "medium_close",
    "close_up",
    "extreme_close_up",
    "over_the_shoulder",
    "pov",
    "insert",
];
pub const CAMERA_MOVES: &[&str] = &[
    "static",
    "pan",
    "tilt",
    "dolly_in",
    "dolly_out",
    "truck",
    "crane",
    "handheld",
    "zoom_in",
    "zoom_out",
    "orbit",
];
