//! The node kinds a workflow can use, with their typed input and output ports
//! (docs/API-WORKFLOWS.md). A kind's `version` is part of every output's cache key: bump it when
//! its behaviour changes.
use serde::Serialize;
use utoipa::ToSchema;

/// What flows along an edge. An edge joins an output and an input of the same type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortType {
    /// The parsed script: scenes, shots, dialogue.
    Breakdown,
    /// The project's characters (with reference images once designed).
    Characters,
    /// Shots with framing and timing, ready to render.
    Storyboard,
    /// One image per shot (keyframes), possibly several candidates each.
    Images,
    /// One audio clip per dialogue line.
    Audio,
    /// One video clip per shot.
    Clips,
    /// Timed subtitle cues.
    Subtitles,
    /// A finished video.
    Video,
    /// Free text (LLM output).
    Text,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Port {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub port_type: PortType,
    /// An optional input may be left unconnected.
    pub optional: bool,
}

const fn port(name: &'static str, port_type: PortType) -> Port {
    Port {
        name,
        port_type,
        optional: false,
    }
}

const fn optional(name: &'static str, port_type: PortType) -> Port {
    Port {
        name,
        port_type,
        optional: true,
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct NodeKind {
    pub name: &'static str,
    pub version: u32,
    pub description: &'static str,
    pub inputs: &'static [Port],
    pub outputs: &'static [Port],
    /// Runs once per shot (or dialogue line) rather than once.
    pub fans_out: bool,
    /// Stops the run until a person decides.
    pub human_gate: bool,
}

use PortType::*;

pub const KINDS: &[NodeKind] = &[
    NodeKind {
        name: "script.parse",
        version: 1,
        description:
            "Parses the version's script into scenes, shots and dialogue (built-in parser).",
        inputs: &[],
        outputs: &[port("breakdown", Breakdown)],
        fans_out: false,
        human_gate: false,
    },
    NodeKind {
        name: "characters.extract",
        version: 1,
        description: "Finds the characters of the breakdown and proposes them on the project.",
        inputs: &[port("breakdown", Breakdown)],
        outputs: &[port("characters", Characters)],
        fans_out: false,
        human_gate: false,
    },
    NodeKind {
        name: "character.design",
        version: 1,
        description: "Gives each character a consistent look: palette, seed, reference image.",
        inputs: &[port("characters", Characters)],
        outputs: &[port("characters", Characters)],
        fans_out: true,
        human_gate: false,
    },
    NodeKind {
        name: "storyboard.plan",
        version: 1,
        description: "Plans each shot: framing, camera move, timing.",
        inputs: &[
            port("breakdown", Breakdown),
            optional("characters", Characters),
        ],
        outputs: &[port("storyboard", Storyboard)],
        fans_out: false,
        human_gate: false,
    },
    NodeKind {
        name: "keyframe.render",
        version: 1,
        description: "Renders a keyframe per shot (offline animatic renderer by default).",
        inputs: &[
            port("storyboard", Storyboard),
            optional("characters", Characters),
        ],
        outputs: &[port("images", Images)],
        fans_out: true,
        human_gate: false,
    },
    NodeKind {
        name: "review",
        version: 1,
        description: "Waits for a person to approve, reject, replace or select images.",
        inputs: &[port("images", Images)],
        outputs: &[port("images", Images)],
        fans_out: false,
        human_gate: true,
    },
    NodeKind {
        name: "voice.tts",
        version: 1,
        description: "Speaks each dialogue line in its character's voice.",
        inputs: &[
            port("storyboard", Storyboard),
            optional("characters", Characters),
        ],
        outputs: &[port("audio", Audio)],
        fans_out: true,
        human_gate: false,
    },
    NodeKind {
        name: "clip.animate",
        version: 1,
        description: "Turns each keyframe into a short clip.",
        inputs: &[port("images", Images), port("storyboard", Storyboard)],
        outputs: &[port("clips", Clips)],
        fans_out: true,
        human_gate: false,
    },
    NodeKind {
        name: "subtitle.build",
        version: 1,
        description: "Times the dialogue as subtitle cues.",
        inputs: &[port("storyboard", Storyboard), optional("audio", Audio)],
        outputs: &[port("subtitles", Subtitles)],
        fans_out: false,
        human_gate: false,
    },
    NodeKind {
        name: "video.compose",
        version: 1,
        description: "Assembles images or clips, audio and subtitles into the finished video.",
        inputs: &[
            port("storyboard", Storyboard),
            optional("images", Images),
            optional("clips", Clips),
            optional("audio", Audio),
            optional("subtitles", Subtitles),
        ],
        outputs: &[port("video", Video)],
        fans_out: false,
        human_gate: false,
    },
    NodeKind {
        name: "llm.prompt",
        version: 1,
        description: "Renders a prompt template and asks a language model.",
        inputs: &[optional("breakdown", Breakdown), optional("text", Text)],
        outputs: &[port("text", Text)],
        fans_out: false,
        human_gate: false,
    },
];

pub fn find(name: &str) -> Option<&'static NodeKind> {
    KINDS.iter().find(|k| k.name == name)
}
