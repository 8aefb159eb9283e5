//! DashScope (Alibaba Cloud Model Studio) asynchronous tasks: submit with
//! `X-DashScope-Async: enable`, poll `GET /tasks/{task_id}` until the task ends, download the result.
//!
//! The whole attempt (submit, polls, download) is bounded by `ctx.timeout`. A poll that fails
//! retryably (429, 5xx, a dropped connection) is tolerated and the polling goes on: giving up
//! would make the retry loop submit, and pay for, a second task.

use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{
    adapters::ModelTarget,
    download::{check_image_blocking, check_video, download, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES},
    remote::{self, malformed},
    CallContext, ImageOutput, ImageProvider, ImageRequest, ProviderError, ProviderFuture,
    ProviderInfo, VideoOutput, VideoProvider, VideoRequest,
};

const IMAGE_PATH: &str = "services/aigc/text2image/image-synthesis";
const VIDEO_PATH: &str = "services/aigc/video-generation/video-synthesis";
const DEFAULT_POLL: Duration = Duration::from_millis(2000);

/// What both DashScope adapters share: the target, the client and the task loop.
#[derive(Debug, Clone)]
struct Tasks {
    target: ModelTarget,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// A task that succeeded: its `output` and `usage`, and the ids to quote.
struct Finished {
    task_id: String,
    output: Value,
    usage: Value,
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

impl Tasks {
    fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        target.validate()?;
        Ok(Self {
            target,
            client: remote::client()?,
        })
    }

    fn poll_interval(&self) -> Duration {
        self.target
            .config_u64("poll_ms")
            .map(|ms| Duration::from_millis(ms.max(1)))
            .unwrap_or(DEFAULT_POLL)
    }

    /// `parameters` from the request's own values plus the config's `parameters` object (which
    /// wins: it is how a model's extra options, e.g. `resolution` or `prompt_extend`, are set).
    fn parameters(&self, own: Map<String, Value>) -> Value {
        let mut parameters = own;
        if let Some(extra) = self
            .target
            .config
            .get("parameters")
            .and_then(|p| p.as_object())
        {
            for (k, v) in extra {
                parameters.insert(k.clone(), v.clone());
            }
        }
        Value::Object(parameters)
    }

    /// Submits the task and waits for it to end.
    async fn run(
        &self,
        path: &str,
        body: Value,
        ctx: &CallContext,
    ) -> Result<Finished, ProviderError> {
        let request = self
            .target
            .authorize(self.client.post(self.target.url(path)))
            .timeout(ctx.timeout)
            .header("X-DashScope-Async", "enable")
            .header("Idempotency-Key", &ctx.idempotency_key)
            .json(&body);
        let answer = remote::send(request).await?;
        answer.error_for_status()?;
        let envelope: Envelope = answer.json("the DashScope task answer")?;
        let task_id = envelope
            .output
            .as_ref()
            .and_then(|o| str_at(o, "task_id"))
            .map(str::to_owned);
        let Some(task_id) = task_id else {
            if let Some(message) = envelope.message.or(envelope.code.clone()) {
                return Err(ProviderError::invalid(format!(
                    "DashScope: {}{message}",
                    envelope.code.map(|c| format!("{c}: ")).unwrap_or_default()
                )));
            }
            return Err(malformed(
                answer.status,
                "the DashScope task answer",
                "has no output.task_id",
                &answer.text,
            ));
        };
        tracing::info!(task_id, request_id = ?envelope.request_id, "DashScope task submitted");
        let started = tokio::time::Instant::now();
        ctx.report_progress(0.05, "submitted");
        let interval = self.poll_interval();
        loop {
            remote::poll_pause(interval).await;
            let request = self
                .target
                .authorize(
                    self.client
                        .get(self.target.url(&format!("tasks/{task_id}"))),
                )
                .timeout(ctx.timeout);
            let answer = match remote::send(request).await {
                Ok(a) => a,
                Err(e) if e.retryable() => {
                    tracing::warn!(task_id, error = %e, "DashScope poll failed, polling on");
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Err(e) = answer.error_for_status() {
                if e.retryable() {
                    tracing::warn!(task_id, error = %e, "DashScope poll failed, polling on");
                    continue;
                }
                return Err(e);
            }
            let envelope: Envelope = answer.json("the DashScope task status")?;
            let output = envelope.output.unwrap_or(Value::Null);
            let status = str_at(&output, "task_status").unwrap_or("").to_owned();
            match status.as_str() {
                "SUCCEEDED" => {
                    ctx.report_progress(0.95, "succeeded");
                    return Ok(Finished {
                        task_id,
                        output,
                        usage: envelope.usage.unwrap_or(Value::Null),
                    });
                }
                "FAILED" | "CANCELED" | "UNKNOWN" => {
                    return Err(task_failed(&task_id, &status, &output));
                }
                "" => {
                    return Err(malformed(
                        answer.status,
                        "the DashScope task status",
                        "has no output.task_status",
                        &answer.text,
                    ))
                }
                running => {
                    ctx.report_progress(
                        remote::waited_fraction(started, ctx.timeout),
                        &running.to_ascii_lowercase(),
                    );
                }
            }
        }
    }
}

/// A task that ended badly. Internal errors and throttling may pass on a new task; anything else
/// (content inspection, bad parameters, an expired task) will not.
fn task_failed(task_id: &str, status: &str, output: &Value) -> ProviderError {
    let code = str_at(output, "code").unwrap_or("");
    let message = str_at(output, "message").unwrap_or("no message");
    let text = if code.is_empty() {
        format!("DashScope task {task_id} {status}: {message}")
    } else {
        format!("DashScope task {task_id} {status}: {code}: {message}")
    };
    if code.starts_with("Throttling") {
        ProviderError::rate_limited(None, text)
    } else if code.starts_with("InternalError") || code.starts_with("SystemError") {
        ProviderError::upstream(500, text)
    } else if status == "FAILED" {
        ProviderError::invalid(text)
    } else {
        ProviderError::upstream(200, text)
    }
}

/// DashScope seeds are 0..=2147483647.
fn dashscope_seed(seed: u64) -> u64 {
    seed % (1 << 31)
}

/// Text to image (Wan / wanx `text2image/image-synthesis`). Config: `size` (`"1024*1024"`;
/// default the request's `W*H`), `parameters` (merged into the request's), `poll_ms` (2000).
#[derive(Debug, Clone)]
pub struct DashScopeImage {
    tasks: Tasks,
}

impl DashScopeImage {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        Ok(Self {
            tasks: Tasks::new(target)?,
        })
    }

    #[tracing::instrument(
        name = "dashscope.image",
        skip_all,
        fields(provider = %self.tasks.target.provider_id, model = %self.tasks.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn generate_inner(
        &self,
        req: ImageRequest,
        ctx: &CallContext,
    ) -> Result<ImageOutput, ProviderError> {
        if req.prompt.trim().is_empty() {
            return Err(ProviderError::invalid("an image request needs a prompt"));
        }
        let t = &self.tasks.target;
        let mut input = json!({"prompt": req.prompt});
        if let Some(negative) = req.negative_prompt.as_ref().filter(|n| !n.is_empty()) {
            input["negative_prompt"] = json!(negative);
        }
        let size = t
            .config_str("size")
            .map(|s| s.replace('x', "*"))
            .unwrap_or_else(|| format!("{}*{}", req.width, req.height));
        let seed = req.seed.map(dashscope_seed);
        let mut own = Map::new();
        own.insert("size".into(), json!(size));
        own.insert("n".into(), json!(1));
        if let Some(seed) = seed {
            own.insert("seed".into(), json!(seed));
        }
        let body = json!({
            "model": t.model_name,
            "input": input,
            "parameters": self.tasks.parameters(own),
        });
        remote::bounded(ctx, "the DashScope image task", async {
            let done = self.tasks.run(IMAGE_PATH, body, ctx).await?;
            let first = done
                .output
                .get("results")
                .and_then(|r| r.as_array())
                .and_then(|r| r.first())
                .cloned()
                .unwrap_or(Value::Null);
            let Some(url) = str_at(&first, "url") else {
                let why = str_at(&first, "message").unwrap_or("the task has no results[0].url");
                return Err(ProviderError::upstream(
                    200,
                    format!("DashScope task {}: {why}", done.task_id),
                ));
            };
            let (bytes, _) =
                download(&self.tasks.client, url, MAX_IMAGE_BYTES, &["image/"], ctx).await?;
            let (bytes, _, _, mime) = check_image_blocking(bytes).await?;
            ctx.report_progress(1.0, "done");
            Ok(ImageOutput {
                bytes,
                mime,
                seed,
                model: t.model_name.clone(),
                request_id: Some(done.task_id),
            })
        })
        .await
    }
}

impl ProviderInfo for DashScopeImage {
    fn id(&self) -> &str {
        &self.tasks.target.provider_id
    }
    fn model(&self) -> &str {
        &self.tasks.target.model_name
    }
    fn max_concurrency(&self) -> usize {
        self.tasks.target.max_concurrency()
    }
}

impl ImageProvider for DashScopeImage {
    fn generate<'a>(
        &'a self,
        req: ImageRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, ImageOutput> {
        Box::pin(self.generate_inner(req, ctx))
    }
}

/// Image to video (Wan `video-generation/video-synthesis`, first frame as a `data:` URL). Config:
/// `duration` (seconds; left out when unset, so the model's default applies), `parameters`
/// (merged, e.g. `resolution`), `poll_ms` (2000).
#[derive(Debug, Clone)]
pub struct DashScopeVideo {
    tasks: Tasks,
}

impl DashScopeVideo {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        Ok(Self {
            tasks: Tasks::new(target)?,
        })
    }

    #[tracing::instrument(
        name = "dashscope.video",
        skip_all,
        fields(provider = %self.tasks.target.provider_id, model = %self.tasks.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn animate_inner(
        &self,
        req: VideoRequest,
        ctx: &CallContext,
    ) -> Result<VideoOutput, ProviderError> {
        let t = &self.tasks.target;
        let (image, _, _, mime) = check_image_blocking(req.image)
            .await
            .map_err(|e| ProviderError::invalid(format!("the keyframe: {}", e.message)))?;
        let img_url = format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&image)
        );
        let seed = req.seed.map(dashscope_seed);
        let duration_s = t.config_u64("duration");
        let mut own = Map::new();
        if let Some(d) = duration_s {
            own.insert("duration".into(), json!(d));
        }
        if let Some(seed) = seed {
            own.insert("seed".into(), json!(seed));
        }
        let body = json!({
            "model": t.model_name,
            "input": {"prompt": req.prompt, "img_url": img_url},
            "parameters": self.tasks.parameters(own),
        });
        remote::bounded(ctx, "the DashScope video task", async {
            let done = self.tasks.run(VIDEO_PATH, body, ctx).await?;
            let Some(url) = str_at(&done.output, "video_url") else {
                return Err(ProviderError::upstream(
                    200,
                    format!("DashScope task {} has no output.video_url", done.task_id),
                ));
            };
            let (bytes, _) = download(
                &self.tasks.client,
                url,
                MAX_VIDEO_BYTES,
                &["video/", "application/octet-stream", "binary/"],
                ctx,
            )
            .await?;
            let mime = check_video(&bytes)?;
            let reported = ["video_duration", "output_video_duration", "duration"]
                .iter()
                .find_map(|k| done.usage.get(*k)?.as_f64())
                .filter(|s| *s > 0.0);
            let duration_ms = reported
                .map(|s| (s * 1000.0).round() as u64)
                .or(duration_s.map(|s| s * 1000))
                .unwrap_or(req.duration_ms);
            ctx.report_progress(1.0, "done");
            Ok(VideoOutput {
                bytes,
                mime: mime.to_owned(),
                duration_ms,
                seed,
                model: t.model_name.clone(),
                request_id: Some(done.task_id),
            })
        })
        .await
    }
}

impl ProviderInfo for DashScopeVideo {
    fn id(&self) -> &str {
        &self.tasks.target.provider_id
    }
    fn model(&self) -> &str {
        &self.tasks.target.model_name
    }
    fn max_concurrency(&self) -> usize {
        self.tasks.target.max_concurrency()
    }
}

impl VideoProvider for DashScopeVideo {
    fn animate<'a>(
        &'a self,
        req: VideoRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, VideoOutput> {
        Box::pin(self.animate_inner(req, ctx))
    }
}
