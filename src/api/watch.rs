//! The public page of a share link (`GET /share/{id}`, no sign-in; docs/API-SHARES.md): plain
//! server-rendered HTML that works without JavaScript, a `<video>` that streams in ranges, the
//! poster, the storyboard when shared, OpenGraph and Twitter tags for link previews, and a
//! password form when the link has one. Unknown links get 404, revoked and expired ones 410; no
//! page says more than what was shared. The page sets no cookie: a right password earns an
//! access token carried in the page's own media URLs (`?k=`).
use std::net::SocketAddr;

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Extension, Router,
};

use crate::{
    shares::{self, Lookup, OpenShare, ShareError, ShareStatus, WatchPage},
    AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/share/{id}", get(page).post(unlock))
        .route("/share/{id}/video", get(video))
        .route("/share/{id}/poster.jpg", get(poster))
        .route("/share/{id}/frames/{n}", get(frame))
}

/// Only our own page's resources; no scripts at all.
const CSP: &str =
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/// The media of a link may be cached by the viewer's browser a little while, never by a shared
/// cache (a revoked link must stop answering).
const MEDIA_CACHE: &str = "private, max-age=300";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `k` (unlock token) parameter of a query string.
fn token_of(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "k")
        .map(|(_, v)| v.into_owned())
}

fn html(status: StatusCode, body: String, cache: &'static str) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The unlock token is in the page's address: it never leaves for another site in a Referer.
    // (`no-referrer` would also make the password form's POST carry `Origin: null`, which a
    // local-mode server refuses as cross-site.)
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
background:#111;color:#eee}main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.4em;\
margin:.2em 0 .6em}video{display:block;max-width:100%;max-height:80vh;margin:0 auto;background:#000}\
.meta{color:#aaa;font-size:.9em}ol{list-style:none;padding:0;display:grid;gap:16px;\
grid-template-columns:repeat(auto-fill,minmax(220px,1fr))}li{background:#1c1c1c;border-radius:8px;\
padding:8px}li img{width:100%;border-radius:4px;display:block}.scene{color:#9cf;font-size:.85em}\
.line b{color:#fc9}form{display:flex;gap:8px;margin-top:1em}input{font:inherit;padding:8px;\
flex:1;max-width:280px}button{font:inherit;padding:8px 16px}.error{color:#f88}\
footer{color:#777;font-size:.8em;text-align:center;padding:24px}";

/// The page's frame: `head` goes into `<head>` after the title.
fn document(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><meta name=\"robots\" content=\"noindex\">{head}<style>{STYLE}</style>\
         </head><body><main>{body}</main><footer>Shared with Storyloom</footer></body></html>\n",
        escape(title)
    )
}

fn message_page(status: StatusCode, heading: &str, text: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", escape(heading), escape(text));
    html(status, document(heading, "", &body), "no-store")
}

fn unknown() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Link not found",
        "There is no shared video at this address. Check the link you were sent.",
    )
}

fn gone(status: ShareStatus) -> Response {
    let text = match status {
        ShareStatus::Expired => "This link has expired. Ask whoever sent it for a new one.",
        _ => "This link was turned off by whoever shared it.",
    };
    message_page(StatusCode::GONE, "This video is no longer shared", text)
}

fn share_error(e: ShareError) -> Response {
    match e {
        ShareError::Gone => gone(ShareStatus::Revoked),
        ShareError::NotFound(_) => unknown(),
        other => {
            tracing::error!(error = %other, "share page failed");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The video cannot be shown right now. Try again in a moment.",
            )
        }
    }
}

/// The link, or the page that says why not.
async fn open(state: &AppState, id: &str) -> Result<OpenShare, Response> {
    match shares::lookup(state, id).await {
        Ok(Lookup::Active(share)) => Ok(*share),
        Ok(Lookup::Unknown) => Err(unknown()),
        Ok(Lookup::Gone(status)) => Err(gone(status)),
        Err(e) => Err(share_error(e)),
    }
}

fn password_page(id: &str, status: StatusCode, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>This video is protected</h1><p>Enter the password you were given to watch it.</p>\
         {error}<form method=\"post\" action=\"/share/{id}\"><label for=\"password\" hidden>Password\
         </label><input id=\"password\" name=\"password\" type=\"password\" required \
         autocomplete=\"current-password\" placeholder=\"Password\" autofocus>\
         <button type=\"submit\">Watch</button></form>",
        id = escape(id)
    );
    let head = "<meta property=\"og:title\" content=\"A protected video\">\
                <meta property=\"og:type\" content=\"website\">\
                <meta name=\"twitter:card\" content=\"summary\">";
    html(
        status,
        document("A protected video", head, &body),
        "no-store",
    )
}

fn duration_text(secs: f64) -> String {
    let total = secs.round().max(0.0) as u64;
    format!("{}:{:02}", total / 60, total % 60)
}

fn watch_html(
    id: &str,
    page: &WatchPage,
    token: Option<&str>,
    origin: Option<&str>,
    mime: &str,
) -> String {
    let id = escape(id);
    let k = token
        .map(|t| format!("?k={}", escape(&urlencode(t))))
        .unwrap_or_default();
    let title = escape(&page.title);
    let description = if page.description.trim().is_empty() {
        match &page.video {
            Some(v) => format!(
                "A {} short drama",
                v.duration_secs.map(duration_text).unwrap_or_default()
            ),
            None if page.summary.is_some() => "A reference video's analysis".to_string(),
            None => format!("A storyboard of {} shots", page.shots.len()),
        }
    } else {
        page.description.clone()
    };
    let description = escape(&description);
    let poster_path = format!("/share/{id}/poster.jpg{k}");
    let video_path = format!("/share/{id}/video{k}");

    let mut head = format!(
        "<meta name=\"description\" content=\"{description}\">\
         <meta property=\"og:title\" content=\"{title}\">\
         <meta property=\"og:description\" content=\"{description}\">\
         <meta property=\"og:site_name\" content=\"Storyloom\">\
         <meta name=\"twitter:title\" content=\"{title}\">\
         <meta name=\"twitter:description\" content=\"{description}\">"
    );
    let absolute = |path: &str| origin.map(|o| format!("{}{path}", escape(o)));
    if let Some(url) = absolute(&format!("/share/{id}")) {
        head.push_str(&format!("<meta property=\"og:url\" content=\"{url}\">"));
    }
    if page.video.is_some() {
        head.push_str("<meta property=\"og:type\" content=\"video.other\">");
    } else {
        head.push_str("<meta property=\"og:type\" content=\"website\">");
    }
    if page.poster {
        if let Some(url) = absolute(&poster_path) {
            head.push_str(&format!(
                "<meta property=\"og:image\" content=\"{url}\">\
                 <meta name=\"twitter:image\" content=\"{url}\">"
            ));
        }
        head.push_str("<meta name=\"twitter:card\" content=\"summary_large_image\">");
    } else {
        head.push_str("<meta name=\"twitter:card\" content=\"summary\">");
    }
    if let (Some(v), Some(url)) = (&page.video, absolute(&video_path)) {
        head.push_str(&format!(
            "<meta property=\"og:video\" content=\"{url}\">\
             <meta property=\"og:video:type\" content=\"{}\">\
             <meta property=\"og:video:width\" content=\"{}\">\
             <meta property=\"og:video:height\" content=\"{}\">",
            escape(mime),
            v.width,
            v.height
        ));
    }

    let mut body = format!("<h1>{title}</h1>");
    if let Some(v) = &page.video {
        let poster = if page.poster {
            format!(" poster=\"{poster_path}\"")
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<video controls playsinline preload=\"metadata\" width=\"{}\" height=\"{}\"{poster}>\
             <source src=\"{video_path}\" type=\"{}\">\
             <p><a href=\"{video_path}\">Download the video</a></p></video>",
            v.width,
            v.height,
            escape(mime)
        ));
        let mut meta = Vec::new();
        if let Some(d) = v.duration_secs {
            meta.push(duration_text(d));
        }
        meta.push(format!("{}×{}", v.width, v.height));
        body.push_str(&format!("<p class=\"meta\">{}</p>", meta.join(" · ")));
    }
    if !page.description.trim().is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(&page.description)));
    }
    if !page.shots.is_empty() {
        body.push_str(&format!(
            "<section aria-label=\"Storyboard\"><h2>Storyboard</h2><p class=\"meta\">{} shots</p><ol>",
            page.shots.len()
        ));
        for s in &page.shots {
            body.push_str("<li class=\"shot\">");
            if s.has_frame {
                body.push_str(&format!(
                    "<img loading=\"lazy\" src=\"/share/{id}/frames/{}{k}\" alt=\"Shot {}\">",
                    s.index, s.number
                ));
            }
            body.push_str(&format!(
                "<div class=\"scene\">Scene {} · Shot {} · {:.1} s</div><div class=\"scene\">{}</div>",
                s.scene_number,
                s.number,
                s.duration_secs,
                escape(&s.heading),
            ));
            if !only_repeats_dialogue(&s.description, &s.dialogue) {
                body.push_str(&format!("<p>{}</p>", escape(&s.description)));
            }
            for (who, line) in &s.dialogue {
                body.push_str(&format!(
                    "<p class=\"line\"><b>{}</b>: {}</p>",
                    escape(who),
                    escape(line)
                ));
            }
            body.push_str("</li>");
        }
        body.push_str("</ol></section>");
    }
    if let Some(summary) = &page.summary {
        body.push_str(&summary_html(summary));
    }
    document(&page.title, &head, &body)
}

/// A summary's part of its page: the summary and the mind map as their own (escaped) text, the
/// beat sheet as a list with its times.
fn summary_html(summary: &crate::summarize::HistoryEntry) -> String {
    use crate::summarize::timestamp;
    let mut out = format!(
        "<section aria-label=\"Summary\"><h2>Summary</h2><p style=\"white-space: pre-wrap\">{}</p></section>",
        escape(&summary.digest.summary)
    );
    if !summary.digest.beats.is_empty() {
        out.push_str("<section aria-label=\"Beat sheet\"><h2>Beat sheet</h2><ol>");
        for b in &summary.digest.beats {
            let kind = serde_json::to_value(b.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!(
                "<li class=\"beat\"><b>{}</b> <span class=\"meta\">{}–{}</span>: {}</li>",
                escape(&kind),
                timestamp(b.start_ms),
                timestamp(b.end_ms),
                escape(&b.text)
            ));
        }
        out.push_str("</ol></section>");
    }
    if !summary.digest.mindmap.trim().is_empty() {
        out.push_str(&format!(
            "<section aria-label=\"Mind map\"><h2>Mind map</h2><pre>{}</pre></section>",
            escape(&summary.digest.mindmap)
        ));
    }
    out
}

/// Whether a shot's description is just its dialogue written out ("林晓：今天……"), which the
/// page shows as dialogue already.
fn only_repeats_dialogue(description: &str, dialogue: &[(String, String)]) -> bool {
    let squash = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '：'))
            .collect()
    };
    !dialogue.is_empty()
        && squash(description)
            == dialogue
                .iter()
                .map(|(who, line)| squash(&format!("{who}{line}")))
                .collect::<String>()
}

/// Percent-encodes a query value (the token is `digits.hex`; this is belt and braces).
fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tracing::instrument(skip(state, headers, query))]
async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let share = match open(&state, &id).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let token = token_of(query.as_deref());
    if !shares::unlocked(&state, &share, token.as_deref()) {
        let error = token
            .is_some()
            .then_some("That access has run out: enter the password again.");
        return password_page(share.id(), StatusCode::OK, error);
    }
    let page = match shares::watch(&state, &share).await {
        Ok(p) => p,
        Err(e) => return share_error(e),
    };
    let mime = if page.video.as_ref().is_some_and(|v| v.format == "webm") {
        "video/webm"
    } else {
        "video/mp4"
    };
    let token = share.has_password().then_some(token).flatten();
    let body = watch_html(
        share.id(),
        &page,
        token.as_deref(),
        super::extract::public_origin(&state, &headers).as_deref(),
        mime,
    );
    // Revalidated every time: a view is counted and a revoked link stops at once.
    let cache = if share.has_password() {
        "no-store"
    } else {
        "no-cache"
    };
    html(StatusCode::OK, body, cache)
}

/// The password form's answer: on the right password, back to the page with an access token.
#[tracing::instrument(skip(state, headers, body))]
async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    // Absent through the desktop bridge (no socket): one bucket, "local".
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let share = match open(&state, &id).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !share.has_password() {
        return Redirect::to(&format!("/share/{}", share.id())).into_response();
    }
    // Guesses are limited per link and address before any hash is computed.
    let address = connect
        .map(|Extension(c)| {
            super::limits::client_address(
                c.0.ip(),
                headers.get_all("x-forwarded-for"),
                &state.config.trusted_proxies,
            )
            .to_string()
        })
        .unwrap_or_else(|| "local".into());
    if let Err(wait) = state
        .limits
        .check_share_password(&format!("{}:{address}", share.id()))
        .await
    {
        let mut response = password_page(
            share.id(),
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many tries. Wait {wait} seconds before trying again."
            )),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let password = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !shares::password_matches(&share, &password).await {
        tracing::info!(share = %share.id(), "wrong share password");
        return password_page(
            share.id(),
            StatusCode::UNAUTHORIZED,
            Some("That password is not right."),
        );
    }
    let token = shares::unlock_token(&state, &share);
    Redirect::to(&format!("/share/{}?k={}", share.id(), urlencode(&token))).into_response()
}

/// The link's content for a media request, or the answer that refuses it.
async fn open_for_media(
    state: &AppState,
    id: &str,
    query: Option<&str>,
) -> Result<OpenShare, Response> {
    let share = match shares::lookup(state, id).await {
        Ok(Lookup::Active(share)) => *share,
        Ok(Lookup::Unknown) => return Err(plain(StatusCode::NOT_FOUND, "not found")),
        Ok(Lookup::Gone(_)) => return Err(plain(StatusCode::GONE, "no longer shared")),
        Err(e) => return Err(media_error(e)),
    };
    if !shares::unlocked(state, &share, token_of(query).as_deref()) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            "this video needs its password",
        ));
    }
    Ok(share)
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn media_error(e: ShareError) -> Response {
    match e {
        ShareError::Gone => plain(StatusCode::GONE, "no longer shared"),
        ShareError::NotFound(_) => plain(StatusCode::NOT_FOUND, "not found"),
        other => {
            tracing::error!(error = %other, "shared media failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot be shown now")
        }
    }
}

fn media_headers(mut response: Response, etag: &str) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MEDIA_CACHE));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        h.insert(header::ETAG, v);
    }
    response
}

/// The video, streamed: the whole file, or the range a player asks for (seeking loads only what
/// is watched).
#[tracing::instrument(skip(state, query, headers))]
async fn video(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let share = match open_for_media(&state, &id, query.as_deref()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (path, mime, sha) = match shares::video_file(&state, &share).await {
        Ok(found) => found,
        Err(e) => return media_error(e),
    };
    match super::files::serve(&headers, &path, &mime).await {
        Ok(response) => media_headers(response, &sha),
        Err(e) => {
            tracing::error!(error = ?e, "shared video cannot be read");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot be shown now")
        }
    }
}

async fn jpeg(state: &AppState, id: &str, query: Option<&str>, index: usize) -> Response {
    let share = match open_for_media(state, id, query).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match shares::frame_jpeg(state, &share, index).await {
        Ok(bytes) => {
            let etag = format!("{}-{index}-{}", share.id(), bytes.len());
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            media_headers(r, &etag)
        }
        Err(e) => media_error(e),
    }
}

/// The poster: the first shot's keyframe.
async fn poster(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    jpeg(&state, &id, query.as_deref(), 0).await
}

/// Shot `n`'s keyframe (from 0, in the storyboard's order; only when the storyboard is shared).
async fn frame(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    match n.parse::<usize>() {
        Ok(index) if index < 10_000 => jpeg(&state, &id, query.as_deref(), index).await,
        _ => plain(StatusCode::NOT_FOUND, "not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shares::{WatchShot, WatchVideo};

    fn sample() -> WatchPage {
        WatchPage {
            title: "Rain <on> \"Glass\"".into(),
            description: String::new(),
            video: Some(WatchVideo {
                width: 720,
                height: 1280,
                duration_secs: Some(75.4),
                format: "mp4".into(),
                file_size: Some(1000),
            }),
            poster: true,
            shots: vec![WatchShot {
                index: 0,
                number: 1,
                scene_number: 1,
                heading: "INT. CAFÉ — NIGHT".into(),
                description: "She waits & watches.".into(),
                duration_secs: 3.0,
                dialogue: vec![("MAYA".into(), "<script>alert(1)</script>".into())],
                has_frame: true,
            }],
            created_at: "2026-12-07T00:00:00.000Z".into(),
            summary: None,
        }
    }

    #[test]
    fn the_page_escapes_everything_it_shows_and_links_its_media() {
        let html = watch_html(
            "AAAAAAAAAAAAAAAAAAAAAA",
            &sample(),
            None,
            Some("https://team.example"),
            "video/mp4",
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<h1>Rain &lt;on&gt; &quot;Glass&quot;</h1>"));
        assert!(html.contains(
            "<meta property=\"og:image\" content=\"https://team.example/share/AAAAAAAAAAAAAAAAAAAAAA/poster.jpg\">"
        ));
        assert!(html.contains("<meta property=\"og:type\" content=\"video.other\">"));
        assert!(html
            .contains("<source src=\"/share/AAAAAAAAAAAAAAAAAAAAAA/video\" type=\"video/mp4\">"));
        assert!(html.contains("A 1:15 short drama"));
        assert!(html.contains("/share/AAAAAAAAAAAAAAAAAAAAAA/frames/0\""));
    }

    #[test]
    fn an_unlocked_page_carries_its_token_in_every_media_url() {
        let html = watch_html(
            "BBBBBBBBBBBBBBBBBBBBBB",
            &sample(),
            Some("123.abc"),
            None,
            "video/mp4",
        );
        assert!(html.contains("/share/BBBBBBBBBBBBBBBBBBBBBB/video?k=123.abc"));
        assert!(html.contains("/share/BBBBBBBBBBBBBBBBBBBBBB/poster.jpg?k=123.abc"));
        assert!(html.contains("/share/BBBBBBBBBBBBBBBBBBBBBB/frames/0?k=123.abc"));
        // No origin known: no absolute preview URLs rather than wrong ones.
        assert!(!html.contains("og:image"));
    }

    #[test]
    fn a_description_that_only_repeats_the_dialogue_is_not_shown_twice() {
        let line = vec![("林晓".to_string(), "今天的风真舒服。".to_string())];
        assert!(only_repeats_dialogue("林晓：今天的风真舒服。", &line));
        assert!(only_repeats_dialogue("林晓: 今天的风真舒服。", &line));
        assert!(!only_repeats_dialogue("林晓坐在长椅上。", &line));
        assert!(!only_repeats_dialogue("", &[]));
        let mut page = sample();
        page.shots[0].description = "MAYA: <script>alert(1)</script>".into();
        let html = watch_html("CCCCCCCCCCCCCCCCCCCCCC", &page, None, None, "video/mp4");
        assert_eq!(html.matches("alert(1)").count(), 1, "{html}");
    }

    #[test]
    fn tokens_come_from_the_query_string_only_as_k() {
        assert_eq!(token_of(Some("k=1.ab&x=2")), Some("1.ab".into()));
        assert_eq!(token_of(Some("kk=1")), None);
        assert_eq!(token_of(None), None);
    }
}
