//! OpenAI's image API (`POST /images/generations`) and the servers that copy it.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    adapters::ModelTarget,
    download::{check_image_blocking, download, MAX_IMAGE_BYTES},
    remote::{self, malformed},
    CallContext, ImageOutput, ImageProvider, ImageRequest, ProviderError, ProviderFuture,
    ProviderInfo,
};

/// Text to image over `POST {base}/images/generations`. Config: `size` (`"1024x1024"`; default the
/// request's `WxH`), `response_format` (default `"b64_json"`; `null` leaves it out, for models such
/// as `gpt-image-1` that always answer base64), `quality`, `style`. Reference images are not sent
/// (the generations endpoint takes none).
#[derive(Debug, Clone)]
pub struct OpenAiImages {
    target: ModelTarget,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct ImagesAnswer {
    data: Vec<ImageDatum>,
}

#[derive(Deserialize)]
struct ImageDatum {
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

impl OpenAiImages {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        target.validate()?;
        Ok(Self {
            target,
            client: remote::client()?,
        })
    }

    fn body(&self, req: &ImageRequest) -> Value {
        let size = self
            .target
            .config_str("size")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}x{}", req.width, req.height));
        let mut body = json!({
            "model": self.target.model_name,
            "prompt": req.prompt,
            "n": 1,
            "size": size,
        });
        match self.target.config.get("response_format") {
            None => body["response_format"] = json!("b64_json"),
            Some(Value::Null) => {}
            Some(v) => body["response_format"] = v.clone(),
        }
        for key in ["quality", "style", "background"] {
            if let Some(v) = self.target.config.get(key).filter(|v| !v.is_null()) {
                body[key] = v.clone();
            }
        }
        body
    }

    #[tracing::instrument(
        name = "openai.images",
        skip_all,
        fields(provider = %self.target.provider_id, model = %self.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn generate_inner(
        &self,
        req: ImageRequest,
        ctx: &CallContext,
    ) -> Result<ImageOutput, ProviderError> {
        if req.prompt.trim().is_empty() {
            return Err(ProviderError::invalid("an image request needs a prompt"));
        }
        let request = self
            .target
            .authorize(self.client.post(self.target.url("images/generations")))
            .timeout(ctx.timeout)
            .header("Idempotency-Key", &ctx.idempotency_key)
            .json(&self.body(&req));
        remote::bounded(ctx, "the image generation", async {
            let answer = remote::send(request).await?;
            answer.error_for_status()?;
            let parsed: ImagesAnswer = answer.json("the images answer")?;
            let datum = parsed.data.into_iter().next().ok_or_else(|| {
                malformed(
                    answer.status,
                    "the images answer",
                    "has no data",
                    &answer.text,
                )
            })?;
            let bytes = match (datum.b64_json, datum.url) {
                (Some(b64), _) => base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|e| {
                        malformed(
                            answer.status,
                            "the images answer",
                            &format!("has b64_json that is not base64 ({e})"),
                            &answer.text,
                        )
                    })?,
                (None, Some(url)) => {
                    download(&self.client, &url, MAX_IMAGE_BYTES, &["image/"], ctx)
                        .await?
                        .0
                }
                (None, None) => {
                    return Err(malformed(
                        answer.status,
                        "the images answer",
                        "has neither b64_json nor url",
                        &answer.text,
                    ))
                }
            };
            let (bytes, _, _, mime) = check_image_blocking(bytes).await?;
            Ok(ImageOutput {
                bytes,
                mime,
                seed: None,
                model: self.target.model_name.clone(),
                request_id: answer.request_id(),
            })
        })
        .await
    }
}

impl ProviderInfo for OpenAiImages {
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

impl ImageProvider for OpenAiImages {
    fn generate<'a>(
        &'a self,
        req: ImageRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, ImageOutput> {
        Box::pin(self.generate_inner(req, ctx))
    }
}
