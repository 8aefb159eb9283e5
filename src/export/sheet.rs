//! The storyboard sheet as a PDF: the version's shots six to a page (frame at the project's aspect
//! ratio, number, scene, duration, shot size and camera move in words, dialogue). Each page is drawn by `render::sheet` and embedded as a JPEG, so
//! any script (Chinese included) prints without embedding fonts.
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

use super::{frames, ExportError};
use crate::{
    projects,
    render::{
        sheet::{render_sheet_page, SheetPage, SheetShot, PAGE_H, PAGE_W, SHOTS_PER_PAGE},
        Fonts,
    },
    storyboard, AppState,
};

/// A4 in PDF points.
const A4: (f32, f32) = (595.0, 842.0);

/// Assembles page images (RGB, `PAGE_W`×`PAGE_H`) into a PDF, one image per page.
pub fn pdf_from_pages(pages: &[image::RgbImage]) -> Result<Vec<u8>, ExportError> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let ids: Vec<(Ref, Ref, Ref)> = (0..pages.len() as i32)
        .map(|i| {
            (
                Ref::new(3 + i * 3),
                Ref::new(4 + i * 3),
                Ref::new(5 + i * 3),
            )
        })
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(p, _, _)| *p))
        .count(pages.len() as i32);
    let name = Name(b"Im1");
    for (img, (page_id, image_id, content_id)) in pages.iter().zip(&ids) {
        let jpeg = crate::media::encode_jpeg(img, 85)
            .map_err(|e| ExportError::Io(format!("cannot encode a sheet page: {e}")))?;
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        page.parent(tree);
        page.contents(*content_id);
        page.resources().x_objects().pair(name, *image_id);
        page.finish();
        let mut x = pdf.image_xobject(*image_id, &jpeg);
        x.filter(Filter::DctDecode);
        x.width(img.width() as i32);
        x.height(img.height() as i32);
        x.color_space().device_rgb();
        x.bits_per_component(8);
        x.finish();
        let mut content = Content::new();
        content.save_state();
        content.transform([A4.0, 0.0, 0.0, A4.1, 0.0, 0.0]);
        content.x_object(name);
        content.restore_state();
        pdf.stream(*content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// A version's shots in order, each with its frame's file (the approved or chosen keyframe,
/// else the latest candidate), and the board's total duration.
struct BoardShots {
    project: projects::Project,
    shots: Vec<(SheetShot, Option<std::path::PathBuf>)>,
    total_duration: f64,
}

async fn board_shots(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: Option<&str>,
) -> Result<BoardShots, ExportError> {
    let project = projects::get(state, owner_id, project_id)
        .await
        .map_err(|_| super::not_found("project", project_id))?;
    let board = storyboard::storyboard(state, owner_id, project_id, version_id)
        .await
        .map_err(|e| match e {
            crate::versions::EditError::NotFound { what, id } => ExportError::NotFound { what, id },
            other => ExportError::Io(other.to_string()),
        })?;
    let mut shots = Vec::new();
    for scene in &board.scenes {
        let heading = frames::scene_heading(scene);
        for s in &scene.shots {
            shots.push(SheetShot {
                number: s.number,
                scene_number: s.scene_number,
                heading: heading.clone(),
                duration_secs: s.duration,
                shot_type: s.shot_type.clone(),
                camera_move: s.camera_move.clone(),
                description: s.description.clone(),
                dialogue: s
                    .dialogue
                    .iter()
                    .map(|l| (l.character.clone(), l.text.clone()))
                    .collect(),
                frame: None,
            });
        }
    }
    let frame_paths = frames::board_frame_paths(state, owner_id, &board).await?;
    Ok(BoardShots {
        project,
        shots: shots.into_iter().zip(frame_paths).collect(),
        total_duration: board.total_duration,
    })
}

/// The storyboard as slides (docs/CREATE.md, "Decks"): a title slide, then one shot a slide with
/// its keyframe, scene, timing, framing, action and dialogue; the dialogue is the speaker notes.
#[tracing::instrument(skip(state))]
pub async fn storyboard_pptx(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: Option<&str>,
    created_at: &str,
) -> Result<Vec<u8>, ExportError> {
    use crate::create::pptx::{self, Deck, Picture, Slide};
    let BoardShots {
        project,
        shots,
        total_duration,
    } = board_shots(state, owner_id, project_id, version_id).await?;
    let created_at = created_at.to_string();
    tokio::task::spawn_blocking(move || {
        let mut slides = Vec::with_capacity(shots.len());
        let mut at = 0.0f64;
        for (s, path) in &shots {
            let picture = path
                .as_deref()
                .and_then(frames::decode_frame)
                .and_then(|img| {
                    // Keyframes are stored full size; a slide needs no more than 1280 px.
                    let img = if img.width().max(img.height()) > 1280 {
                        image::imageops::thumbnail(
                            &img,
                            img.width() * 1280 / img.width().max(img.height()),
                            img.height() * 1280 / img.width().max(img.height()),
                        )
                    } else {
                        img
                    };
                    crate::media::encode_jpeg(&img, 85)
                        .ok()
                        .map(|bytes| Picture {
                            bytes,
                            width: img.width(),
                            height: img.height(),
                        })
                });
            let start = at;
            at += s.duration_secs;
            let mut bullets = vec![
                s.heading.clone(),
                format!("{:.1}–{:.1} s ({:.1} s)", start, at, s.duration_secs),
                [s.shot_type.as_deref(), s.camera_move.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
            ];
            if !s.description.trim().is_empty() {
                bullets.push(s.description.trim().to_string());
            }
            let dialogue: Vec<String> = s
                .dialogue
                .iter()
                .map(|(who, text)| format!("{who}：{text}"))
                .collect();
            bullets.extend(dialogue.iter().cloned());
            bullets.retain(|b| !b.is_empty());
            slides.push(Slide {
                title: format!("Shot {} · Scene {}", s.number, s.scene_number),
                bullets,
                notes: dialogue.join("\n"),
                picture,
            });
        }
        let deck = Deck {
            title: project.name.clone(),
            subtitle: format!(
                "Storyboard · {} shots · {:.1} s",
                shots.len(),
                total_duration
            ),
            notes: String::new(),
            slides,
        };
        pptx::write(&deck, &created_at).map_err(|e| ExportError::Io(e.to_string()))
    })
    .await
    .map_err(|e| ExportError::Io(e.to_string()))?
}

/// The storyboard sheet of a project version (the current one by default).
#[tracing::instrument(skip(state))]
pub async fn storyboard_pdf(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let BoardShots {
        project,
        shots,
        total_duration,
    } = board_shots(state, owner_id, project_id, version_id).await?;
    let (fw, fh) = crate::render::frame_size(project.aspect_ratio.as_str());
    let frame_aspect = fw as f32 / fh as f32;
    let title = project.name.clone();
    let subtitle = format!(
        "Storyboard · {} shots · {:.1} s",
        shots.len(),
        total_duration
    );
    let font = state.config.font_path.clone();
    tokio::task::spawn_blocking(move || {
        let fonts = Fonts::shared(font.as_deref()).map_err(|e| ExportError::Io(e.to_string()))?;
        let chunks: Vec<_> = shots.chunks(SHOTS_PER_PAGE).collect();
        let pages = chunks.len().max(1);
        let mut images = Vec::with_capacity(pages);
        for (i, chunk) in chunks.iter().enumerate() {
            let shots = chunk
                .iter()
                .map(|(s, path)| SheetShot {
                    // Our own frames (never user input on this path beyond decoded-with-limits uploads).
                    // Blob files have no extension: `image::open` cannot tell their format.
                    frame: path.as_deref().and_then(frames::decode_frame),
                    ..s.clone()
                })
                .collect();
            images.push(render_sheet_page(
                &SheetPage {
                    title: title.clone(),
                    subtitle: subtitle.clone(),
                    page: i + 1,
                    pages,
                    frame_aspect,
                    shots,
                },
                &fonts,
            ));
        }
        if images.is_empty() {
            images.push(render_sheet_page(
                &SheetPage {
                    title,
                    subtitle: "Storyboard · no shots yet".into(),
                    page: 1,
                    pages: 1,
                    frame_aspect,
                    shots: vec![],
                },
                &fonts,
            ));
        }
        debug_assert!(images
            .iter()
            .all(|i| i.width() == PAGE_W && i.height() == PAGE_H));
        pdf_from_pages(&images)
    })
    .await
    .map_err(|e| ExportError::Io(e.to_string()))?
}
