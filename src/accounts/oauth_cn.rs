//! WeChat's and Feishu's own OAuth 2 (docs/API-WORKSPACES.md, "Sign-in with a provider"): neither
//! issues an ID token, so the person is read from each platform's user-info API with the access
//! token the code is exchanged for.
//!
//! - **WeChat** (website application, QR-code sign-in): the code is exchanged at
//!   `/sns/oauth2/access_token` (GET, `appid` and `secret` in the query; a refusal is a 200 with
//!   `errcode`), the person read at `/sns/userinfo`. WeChat takes no PKCE: the single-use `state`
//!   is what binds the callback to the sign-in. WeChat gives no email address.
//! - **Feishu** (and Lark, by its addresses): the code is exchanged at
//!   `/open-apis/authen/v2/oauth/token` (JSON, with the PKCE verifier), the person read at
//!   `/open-apis/authen/v1/user_info`. Only the enterprise mailbox (`enterprise_email`, issued by
//!   the tenant) counts as verified; the contact `email` is kept as unverified.
//!
//! The account is the platform's `openid` / `open_id`: stable for one application, which is what
//! an instance configures.
use serde::Deserialize;

use super::oauth::{http, Claims, OAuthError, OAuthProvider, Pending};

/// A platform answer's text as JSON (WeChat sends `text/plain`), or why not.
async fn json_of(res: reqwest::Response) -> Result<serde_json::Value, OAuthError> {
    let status = res.status();
    let text = res
        .text()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|_| {
        OAuthError::Exchange(format!(
            "an unreadable answer (HTTP {}): {}",
            status.as_u16(),
            text.chars().take(200).collect::<String>()
        ))
    })
}

/// WeChat's sign-in page (`/connect/qrconnect`), its parameters in the documented order.
pub(super) fn wechat_authorize_url(
    p: &OAuthProvider,
    redirect_uri: &str,
    state: &str,
) -> Result<String, OAuthError> {
    let mut url = reqwest::Url::parse(&format!(
        "{}/connect/qrconnect",
        p.issuer.trim_end_matches('/')
    ))
    .map_err(|e| OAuthError::Unreachable(format!("its authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("appid", &p.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_login")
        .append_pair("state", state);
    // WeChat reads its parameters only with this fragment.
    url.set_fragment(Some("wechat_redirect"));
    Ok(url.to_string())
}

pub(super) async fn wechat_identity(
    p: &OAuthProvider,
    api_url: &str,
    code: &str,
) -> Result<Claims, OAuthError> {
    #[derive(Deserialize)]
    struct UserInfo {
        openid: String,
        nickname: Option<String>,
    }
    let api = api_url.trim_end_matches('/');
    let res = http()
        .get(format!("{api}/sns/oauth2/access_token"))
        .query(&[
            ("appid", p.client_id.as_str()),
            ("secret", p.client_secret.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
        ])
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let answer = json_of(res).await?;
    if let Some(errcode) = answer["errcode"].as_i64().filter(|c| *c != 0) {
        return Err(OAuthError::Exchange(format!(
            "WeChat error {errcode}: {}",
            answer["errmsg"].as_str().unwrap_or("no message")
        )));
    }
    let (Some(token), Some(openid)) = (answer["access_token"].as_str(), answer["openid"].as_str())
    else {
        return Err(OAuthError::Exchange(
            "no access token or openid in WeChat's answer".into(),
        ));
    };
    let res = http()
        .get(format!("{api}/sns/userinfo"))
        .query(&[
            ("access_token", token),
            ("openid", openid),
            ("lang", "zh_CN"),
        ])
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let info = json_of(res).await?;
    if let Some(errcode) = info["errcode"].as_i64().filter(|c| *c != 0) {
        return Err(OAuthError::Token(format!(
            "WeChat's user info, error {errcode}: {}",
            info["errmsg"].as_str().unwrap_or("no message")
        )));
    }
    let info: UserInfo = serde_json::from_value(info)
        .map_err(|e| OAuthError::Token(format!("WeChat's user info: {e}")))?;
    if info.openid != openid {
        return Err(OAuthError::Token(
            "WeChat's user info names another person than the token".into(),
        ));
    }
    Ok(Claims {
        sub: info.openid,
        nonce: None,
        email: None,
        email_verified: false,
        name: info.nickname.filter(|n| !n.trim().is_empty()),
        preferred_username: None,
    })
}

/// Feishu's sign-in page (`/open-apis/authen/v1/authorize`), with PKCE.
pub(super) fn feishu_authorize_url(
    p: &OAuthProvider,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> Result<String, OAuthError> {
    let mut url = reqwest::Url::parse(&format!(
        "{}/open-apis/authen/v1/authorize",
        p.issuer.trim_end_matches('/')
    ))
    .map_err(|e| OAuthError::Unreachable(format!("its authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", &p.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url.to_string())
}

pub(super) async fn feishu_identity(
    p: &OAuthProvider,
    api_url: &str,
    code: &str,
    pending: &Pending,
    redirect_uri: &str,
) -> Result<Claims, OAuthError> {
    #[derive(Deserialize)]
    struct UserInfo {
        open_id: String,
        name: Option<String>,
        en_name: Option<String>,
        email: Option<String>,
        enterprise_email: Option<String>,
    }
    let api = api_url.trim_end_matches('/');
    let res = http()
        .post(format!("{api}/open-apis/authen/v2/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": p.client_id,
            "client_secret": p.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.code_verifier,
        }))
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let answer = json_of(res).await?;
    let token = match (answer["code"].as_i64(), answer["access_token"].as_str()) {
        (Some(0) | None, Some(token)) => token.to_string(),
        _ => {
            return Err(OAuthError::Exchange(format!(
                "Feishu error {}: {}",
                answer["code"],
                answer["error_description"]
                    .as_str()
                    .or(answer["error"].as_str())
                    .or(answer["msg"].as_str())
                    .unwrap_or("no access token")
            )))
        }
    };
    let res = http()
        .get(format!("{api}/open-apis/authen/v1/user_info"))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let info = json_of(res).await?;
    if info["code"].as_i64() != Some(0) {
        return Err(OAuthError::Token(format!(
            "Feishu's user info, error {}: {}",
            info["code"],
            info["msg"].as_str().unwrap_or("no message")
        )));
    }
    let info: UserInfo = serde_json::from_value(info["data"].clone())
        .map_err(|e| OAuthError::Token(format!("Feishu's user info: {e}")))?;
    let (email, email_verified) = match (
        info.enterprise_email.filter(|e| !e.is_empty()),
        info.email.filter(|e| !e.is_empty()),
    ) {
        (Some(mailbox), _) => (Some(mailbox), true),
        (None, contact) => (contact, false),
    };
    Ok(Claims {
        sub: info.open_id,
        nonce: None,
        email,
        email_verified,
        name: info.name.or(info.en_name).filter(|n| !n.trim().is_empty()),
        preferred_username: None,
    })
}
