//! ComfyUI's HTTP API: inject the prompt, seed, size and reference image into an API-format
//! workflow, `POST /prompt`, poll `GET /history/{prompt_id}`, fetch the output with `GET /view`.
//!
//! The whole attempt (upload, queue, polls, download) is bounded by `ctx.timeout`. A poll that fails
//! retryably is tolerated and the polling goes on: giving up would queue the workflow again.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    adapters::ModelTarget,
    download::{check_image_blocking, check_video, download, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES},
    remote::{self, malformed},
    CallContext, ImageOutput, ImageProvider, ImageRequest, ProviderError, ProviderFuture,
    ProviderInfo, VideoOutput, VideoProvider, VideoRequest,
};

const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// The workflow's node ids that receive what a request carries.
#[derive(Debug, Clone, Default)]
struct Nodes {
    prompt: String,
    negative: Option<String>,
    seed: Option<String>,
    image: Option<String>,
    width: Option<String>,
    height: Option<String>,
}

/// Image and video generation on a ComfyUI server. Config: `workflow` (an API-format workflow:
/// node id → `{class_type, inputs}`), `nodes` (`{prompt, negative?, seed?, image?, width?,
/// height?}`: node ids, or node titles from `_meta.title`), `poll_ms` (500).
#[derive(Debug, Clone)]
pub struct ComfyUi {
    target: ModelTarget,
    client: reqwest::Client,
    workflow: Map<String, Value>,
    nodes: Nodes,
}

#[derive(Deserialize)]
struct Uploaded {
    name: String,
    #[serde(default)]
    subfolder: String,
}

/// One file a workflow wrote.
#[derive(Debug, Clone, Deserialize)]
struct OutputFile {
    filename: String,
    #[serde(default)]
    subfolder: String,
    #[serde(default, rename = "type")]
    kind: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Image,
    Video,
}

/// The node id `wanted` names: a key of the workflow, or the one node whose `_meta.title` it is.
fn resolve(
    workflow: &Map<String, Value>,
    role: &str,
    wanted: &str,
) -> Result<String, ProviderError> {
    if workflow.get(wanted).is_some_and(Value::is_object) {
        return Ok(wanted.to_owned());
    }
    let titled: Vec<&String> = workflow
        .iter()
        .filter(|(_, node)| node.pointer("/_meta/title").and_then(Value::as_str) == Some(wanted))
        .map(|(id, _)| id)
        .collect();
    match titled.as_slice() {
        [id] => Ok((*id).clone()),
        [] => Err(ProviderError::invalid(format!(
            "ComfyUI: nodes.{role} names {wanted:?}, which is neither a node id nor a node title in the workflow"
        ))),
        _ => Err(ProviderError::invalid(format!(
            "ComfyUI: nodes.{role} names {wanted:?}, the title of several nodes; use a node id"
        ))),
    }
}

fn node_ref(nodes: &Value, role: &str) -> Option<String> {
    match nodes.get(role)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// ComfyUI's refusal of a workflow (`{"error": {...}, "node_errors": {...}}`) as one line.
fn refusal(body: &Value) -> Option<String> {
    let error = body.get("error").filter(|e| !e.is_null());
    let node_errors = body
        .get("node_errors")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    if error.is_none() && node_errors.is_none() {
        return None;
    }
    let mut parts = Vec::new();
    if let Some(error) = error {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| error.as_str())
            .unwrap_or("the workflow was refused");
        let details = error.get("details").and_then(Value::as_str).unwrap_or("");
        parts.push(if details.is_empty() {
            message.to_owned()
        } else {
            format!("{message}: {details}")
        });
    }
    for (id, node) in node_errors.into_iter().flatten() {
        let class = node
            .get("class_type")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let errors: Vec<String> = node
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                let m = e.get("message").and_then(Value::as_str).unwrap_or("error");
                match e.get("details").and_then(Value::as_str) {
                    Some(d) if !d.is_empty() => format!("{m} ({d})"),
                    _ => m.to_owned(),
                }
            })
            .collect();
        parts.push(format!("node {id} ({class}): {}", errors.join("; ")));
    }
    Some(parts.join("; "))
}

/// Why a finished prompt failed, from its `execution_error` message.
fn execution_error(entry: &Value) -> String {
    let messages = entry.pointer("/status/messages").and_then(Value::as_array);
    for m in messages.into_iter().flatten() {
        if m.get(0).and_then(Value::as_str) == Some("execution_error") {
            let d = m.get(1).cloned().unwrap_or(Value::Null);
            let text = d
                .get("exception_message")
                .and_then(Value::as_str)
                .unwrap_or("an error");
            let node = d.get("node_id").and_then(Value::as_str).unwrap_or("?");
            let class = d.get("node_type").and_then(Value::as_str).unwrap_or("?");
            return format!("node {node} ({class}): {}", text.trim());
        }
    }
    "the workflow failed (no execution_error message)".into()
}

fn is_video_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".mp4", ".webm", ".mov", ".mkv", ".gif", ".webp"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The file to fetch from a history entry's `outputs`: saved outputs before previews.
fn pick_output(outputs: &Map<String, Value>, want: Want) -> Option<OutputFile> {
    let mut found: Vec<OutputFile> = Vec::new();
    for node in outputs.values() {
        let keys: &[&str] = match want {
            Want::Image => &["images"],
            Want::Video => &["gifs", "videos", "images"],
        };
        for key in keys {
            let files = node
                .get(*key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for f in files {
                let Ok(file) = serde_json::from_value::<OutputFile>(f.clone()) else {
                    continue;
                };
                let ok = match (want, *key) {
                    (Want::Video, "images") => {
                        node.get("animated")
                            .and_then(Value::as_array)
                            .is_some_and(|a| a.iter().any(|v| v.as_bool() == Some(true)))
                            || is_video_name(&file.filename)
                    }
                    _ => true,
                };
                if ok {
                    found.push(file);
                }
            }
        }
    }
    found
        .iter()
        .find(|f| f.kind == "output")
        .or(found.first())
        .cloned()
}

impl ComfyUi {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        target.validate()?;
        let workflow = match target.config.get("workflow") {
            Some(Value::Object(w)) => w.clone(),
            // A workflow pasted as text.
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(w)) => w,
                _ => {
                    return Err(ProviderError::invalid(
                        "ComfyUI: config.workflow is not an API-format workflow JSON object",
                    ))
                }
            },
            _ => {
                return Err(ProviderError::invalid(
                    "ComfyUI: config.workflow (an API-format workflow JSON object) is missing",
                ))
            }
        };
        if let Some((id, _)) = workflow
            .iter()
            .find(|(_, n)| n.get("class_type").and_then(Value::as_str).is_none())
        {
            return Err(ProviderError::invalid(format!(
                "ComfyUI: workflow node {id} has no class_type; export the workflow in API format"
            )));
        }
        let nodes_cfg = target.config.get("nodes").cloned().unwrap_or(Value::Null);
        let pick = |role: &str| -> Result<Option<String>, ProviderError> {
            node_ref(&nodes_cfg, role)
                .map(|r| resolve(&workflow, role, &r))
                .transpose()
        };
        let prompt = pick("prompt")?.ok_or_else(|| {
            ProviderError::invalid("ComfyUI: config.nodes.prompt (the prompt node's id) is missing")
        })?;
        let nodes = Nodes {
            prompt,
            negative: pick("negative")?,
            seed: pick("seed")?,
            image: pick("image")?,
            width: pick("width")?,
            height: pick("height")?,
        };
        Ok(Self {
            target,
            client: remote::client()?,
            workflow,
            nodes,
        })
    }

    fn poll_interval(&self) -> Duration {
        self.target
            .config_u64("poll_ms")
            .map(|ms| Duration::from_millis(ms.max(1)))
            .unwrap_or(DEFAULT_POLL)
    }

    fn set_input(workflow: &mut Map<String, Value>, node: &str, input: &str, value: Value) {
        if let Some(n) = workflow.get_mut(node).and_then(Value::as_object_mut) {
            let inputs = n.entry("inputs").or_insert_with(|| json!({}));
            if let Some(inputs) = inputs.as_object_mut() {
                inputs.insert(input.to_owned(), value);
            }
        }
    }

    /// The workflow with this request's values in it.
    fn inject(
        &self,
        prompt: &str,
        negative: Option<&str>,
        seed: u64,
        size: (u32, u32),
        image: Option<&str>,
    ) -> Map<String, Value> {
        let mut w = self.workflow.clone();
        Self::set_input(&mut w, &self.nodes.prompt, "text", json!(prompt));
        if let (Some(node), Some(neg)) = (&self.nodes.negative, negative) {
            Self::set_input(&mut w, node, "text", json!(neg));
        }
        if let Some(node) = &self.nodes.seed {
            let has_noise_seed = w
                .get(node)
                .and_then(|n| n.pointer("/inputs/noise_seed"))
                .is_some();
            let input = if has_noise_seed { "noise_seed" } else { "seed" };
            Self::set_input(&mut w, node, input, json!(seed));
        }
        if size.0 > 0 && size.1 > 0 {
            if let Some(node) = &self.nodes.width {
                Self::set_input(&mut w, node, "width", json!(size.0));
            }
            if let Some(node) = self.nodes.height.as_ref().or(self.nodes.width.as_ref()) {
                Self::set_input(&mut w, node, "height", json!(size.1));
            }
        }
        if let (Some(node), Some(name)) = (&self.nodes.image, image) {
            Self::set_input(&mut w, node, "image", json!(name));
        }
        w
    }

    /// Uploads a reference image; returns the name `LoadImage` knows it by.
    async fn upload(&self, bytes: Vec<u8>, ctx: &CallContext) -> Result<String, ProviderError> {
        let (bytes, _, _, mime) = check_image_blocking(bytes)
            .await
            .map_err(|e| ProviderError::invalid(format!("the reference image: {}", e.message)))?;
        let ext = mime.strip_prefix("image/").unwrap_or("png");
        let digest = hex::encode(&Sha256::digest(&bytes)[..8]);
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(format!("storyloom-{digest}.{ext}"))
            .mime_str(&mime)
            .map_err(|e| ProviderError::invalid(format!("bad image MIME type: {e}")))?;
        let form = reqwest::multipart::Form::new()
            .part("image", part)
            .text("type", "input")
            .text("overwrite", "true");
        let request = self
            .target
            .authorize(self.client.post(self.target.url("upload/image")))
            .timeout(ctx.timeout)
            .multipart(form);
        let answer = remote::send(request).await?;
        answer.error_for_status()?;
        let uploaded: Uploaded = answer.json("ComfyUI's upload answer")?;
        Ok(if uploaded.subfolder.is_empty() {
            uploaded.name
        } else {
            format!("{}/{}", uploaded.subfolder, uploaded.name)
        })
    }

    /// Queues the workflow; returns its prompt id.
    async fn queue(
        &self,
        workflow: Map<String, Value>,
        ctx: &CallContext,
    ) -> Result<String, ProviderError> {
        let client_id = uuid::Uuid::now_v7().to_string();
        let request = self
            .target
            .authorize(self.client.post(self.target.url("prompt")))
            .timeout(ctx.timeout)
            .json(&json!({"prompt": workflow, "client_id": client_id}));
        let answer = remote::send(request).await?;
        let status = answer.status.as_u16();
        if status == 429 || status == 408 || status >= 500 {
            return answer.error_for_status().map(|_| String::new());
        }
        if let Ok(body) = serde_json::from_str::<Value>(&answer.text) {
            if let Some(message) = refusal(&body) {
                return Err(ProviderError::invalid(format!(
                    "ComfyUI refused the workflow: {message}"
                )));
            }
        }
        answer.error_for_status()?;
        let body: Value = answer.json("ComfyUI's /prompt answer")?;
        body.get("prompt_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                malformed(
                    answer.status,
                    "ComfyUI's /prompt answer",
                    "has no prompt_id",
                    &answer.text,
                )
            })
    }

    /// Polls the history until the prompt has an output of the kind wanted.
    async fn wait(
        &self,
        prompt_id: &str,
        want: Want,
        ctx: &CallContext,
    ) -> Result<OutputFile, ProviderError> {
        let started = tokio::time::Instant::now();
        let interval = self.poll_interval();
        loop {
            remote::poll_pause(interval).await;
            let request = self
                .target
                .authorize(
                    self.client
                        .get(self.target.url(&format!("history/{prompt_id}"))),
                )
                .timeout(ctx.timeout);
            let answer = match remote::send(request).await {
                Ok(a) => a,
                Err(e) if e.retryable() => {
                    tracing::warn!(prompt_id, error = %e, "ComfyUI poll failed, polling on");
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Err(e) = answer.error_for_status() {
                if e.retryable() {
                    tracing::warn!(prompt_id, error = %e, "ComfyUI poll failed, polling on");
                    continue;
                }
                return Err(e);
            }
            let history: Map<String, Value> = answer.json("ComfyUI's history")?;
            let Some(entry) = history.get(prompt_id) else {
                ctx.report_progress(
                    remote::waited_fraction(started, ctx.timeout),
                    "queued or running",
                );
                continue;
            };
            if entry.pointer("/status/status_str").and_then(Value::as_str) == Some("error") {
                return Err(ProviderError::invalid(format!(
                    "ComfyUI failed running the workflow: {}",
                    execution_error(entry)
                )));
            }
            let outputs = entry.get("outputs").and_then(Value::as_object);
            if let Some(file) = outputs.and_then(|o| pick_output(o, want)) {
                ctx.report_progress(0.95, "downloading");
                return Ok(file);
            }
            let completed = entry
                .pointer("/status/completed")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if completed {
                let kind = if want == Want::Image {
                    "an image"
                } else {
                    "a video"
                };
                return Err(ProviderError::invalid(format!(
                    "ComfyUI finished the workflow without {kind} output (add a SaveImage or video-saving node)"
                )));
            }
            ctx.report_progress(remote::waited_fraction(started, ctx.timeout), "running");
        }
    }

    async fn fetch(
        &self,
        file: &OutputFile,
        max: u64,
        accept: &[&str],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, ProviderError> {
        let url = reqwest::Url::parse_with_params(
            &self.target.url("view"),
            &[
                ("filename", file.filename.as_str()),
                ("subfolder", file.subfolder.as_str()),
                (
                    "type",
                    if file.kind.is_empty() {
                        "output"
                    } else {
                        file.kind.as_str()
                    },
                ),
            ],
        )
        .map_err(|e| ProviderError::invalid(format!("ComfyUI: bad base_url: {e}")))?;
        Ok(download(&self.client, url.as_str(), max, accept, ctx)
            .await?
            .0)
    }

    fn seed(seed: Option<u64>) -> u64 {
        seed.unwrap_or_else(|| u64::from(rand::random::<u32>()))
    }

    #[tracing::instrument(
        name = "comfyui.image",
        skip_all,
        fields(provider = %self.target.provider_id, model = %self.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn generate_inner(
        &self,
        req: ImageRequest,
        ctx: &CallContext,
    ) -> Result<ImageOutput, ProviderError> {
        let seed = Self::seed(req.seed);
        remote::bounded(ctx, "the ComfyUI workflow", async {
            let image = match (&self.nodes.image, req.reference_images.first()) {
                (Some(_), Some(bytes)) => Some(self.upload(bytes.clone(), ctx).await?),
                _ => None,
            };
            let workflow = self.inject(
                &req.prompt,
                req.negative_prompt.as_deref(),
                seed,
                (req.width, req.height),
                image.as_deref(),
            );
            let prompt_id = self.queue(workflow, ctx).await?;
            ctx.report_progress(0.05, "queued");
            let file = self.wait(&prompt_id, Want::Image, ctx).await?;
            let bytes = self.fetch(&file, MAX_IMAGE_BYTES, &["image/"], ctx).await?;
            let (bytes, _, _, mime) = check_image_blocking(bytes).await?;
            ctx.report_progress(1.0, "done");
            Ok(ImageOutput {
                bytes,
                mime,
                seed: Some(seed),
                model: self.target.model_name.clone(),
                request_id: Some(prompt_id),
            })
        })
        .await
    }

    #[tracing::instrument(
        name = "comfyui.video",
        skip_all,
        fields(provider = %self.target.provider_id, model = %self.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn animate_inner(
        &self,
        req: VideoRequest,
        ctx: &CallContext,
    ) -> Result<VideoOutput, ProviderError> {
        if self.nodes.image.is_none() {
            return Err(ProviderError::invalid(
                "ComfyUI: an image-to-video workflow needs config.nodes.image (the LoadImage node)",
            ));
        }
        let seed = Self::seed(req.seed);
        remote::bounded(ctx, "the ComfyUI workflow", async {
            let name = self.upload(req.image.clone(), ctx).await?;
            let workflow = self.inject(
                &req.prompt,
                None,
                seed,
                (req.width, req.height),
                Some(&name),
            );
            let prompt_id = self.queue(workflow, ctx).await?;
            ctx.report_progress(0.05, "queued");
            let file = self.wait(&prompt_id, Want::Video, ctx).await?;
            let bytes = self
                .fetch(
                    &file,
                    MAX_VIDEO_BYTES,
                    &[
                        "video/",
                        "image/gif",
                        "image/webp",
                        "application/octet-stream",
                    ],
                    ctx,
                )
                .await?;
            let mime = check_video(&bytes)?;
            ctx.report_progress(1.0, "done");
            Ok(VideoOutput {
                bytes,
                mime: mime.to_owned(),
                duration_ms: req.duration_ms,
                seed: Some(seed),
                model: self.target.model_name.clone(),
                request_id: Some(prompt_id),
            })
        })
        .await
    }
}

impl ProviderInfo for ComfyUi {
    fn id(&self) -> &str {
        &self.target.provider_id
    }
    fn model(&self) -> &str {
        &self.target.model_name
    }
    fn max_concurrency(&self) -> usize {
        self.target.max_concurrency()
    }
}

impl ImageProvider for ComfyUi {
    fn generate<'a>(
        &'a self,
        req: ImageRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, ImageOutput> {
        Box::pin(self.generate_inner(req, ctx))
    }
}

impl VideoProvider for ComfyUi {
    fn animate<'a>(
        &'a self,
        req: VideoRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, VideoOutput> {
        Box::pin(self.animate_inner(req, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::AdapterKind;

    fn target(config: Value) -> ModelTarget {
        ModelTarget {
            provider_id: "comfy".into(),
            adapter: AdapterKind::Comfyui,
            base_url: "http://127.0.0.1:8188".into(),
            api_key: None,
            model_name: "sdxl".into(),
            config,
            max_concurrency: 1,
        }
    }

    fn workflow() -> Value {
        json!({
            "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "old"}, "_meta": {"title": "Positive"}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "bad"}},
            "13": {"class_type": "SamplerCustom", "inputs": {"noise_seed": 0}}
        })
    }

    #[test]
    fn injects_by_id_and_title() {
        let c = ComfyUi::new(target(json!({
            "workflow": workflow(),
            "nodes": {"prompt": "Positive", "negative": "7", "seed": "13", "width": 5}
        })))
        .unwrap();
        let w = c.inject("rain", Some("blur"), 42, (768, 432), None);
        assert_eq!(w["6"]["inputs"]["text"], "rain");
        assert_eq!(w["7"]["inputs"]["text"], "blur");
        assert_eq!(w["13"]["inputs"]["noise_seed"], 42);
        assert!(w["13"]["inputs"].get("seed").is_none());
        assert_eq!(w["5"]["inputs"]["width"], 768);
        assert_eq!(w["5"]["inputs"]["height"], 432);
        assert_eq!(w["3"]["inputs"]["seed"], 1, "untouched");
    }

    #[test]
    fn bad_configs_are_refused() {
        let e = ComfyUi::new(target(json!({"nodes": {"prompt": "6"}}))).unwrap_err();
        assert!(e.message.contains("workflow"), "{}", e.message);
        let e = ComfyUi::new(target(
            json!({"workflow": workflow(), "nodes": {"prompt": "99"}}),
        ))
        .unwrap_err();
        assert!(e.message.contains("\"99\""), "{}", e.message);
        let e = ComfyUi::new(target(json!({"workflow": workflow(), "nodes": {}}))).unwrap_err();
        assert!(e.message.contains("nodes.prompt"), "{}", e.message);
    }

    #[test]
    fn refusals_read_as_one_line() {
        let body = json!({
            "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
            "node_errors": {"4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: 'x.safetensors' not in []", "extra_info": {}}], "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}
        });
        assert_eq!(
            refusal(&body).unwrap(),
            "Prompt outputs failed validation; node 4 (CheckpointLoaderSimple): Value not in list (ckpt_name: 'x.safetensors' not in [])"
        );
        assert_eq!(
            refusal(&json!({"prompt_id": "x", "number": 1, "node_errors": {}})),
            None
        );
    }
}
