//! Sample scripts shipped in `assets/samples/` (embedded, so the desktop app has them offline): one
//! Chinese short-drama episode and one Fountain screenplay, opened from the empty state.
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sample {
    pub id: &'static str,
    pub title: &'static str,
    /// BCP 47 language tag of the script.
    pub language: &'static str,
    pub filename: &'static str,
    pub description: &'static str,
    #[serde(skip)]
    pub text: &'static str,
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        id: "rebirth-ep1",
        title: "重生之逆袭千金 第1集",
        language: "zh-CN",
        filename: "rebirth_ep1.txt",
        description:
            "A Chinese vertical short-drama episode: 场景 headings, 角色：台词 dialogue, △ action.",
        text: include_str!("../../assets/samples/rebirth_ep1.txt"),
    },
    Sample {
        id: "last-train",
        title: "The Last Train",
        language: "en",
        filename: "last_train.fountain",
        description:
            "A Fountain screenplay: title page, scene headings, cues, parentheticals, notes.",
        text: include_str!("../../assets/samples/last_train.fountain"),
    },
];

pub fn find(id: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.id == id)
}
