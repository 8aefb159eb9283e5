//! Accounts on the team server (README, "The server"): register, login, rotating refresh
//! tokens with reuse detection, logout, the profile and password, and the admin's user list.
//!
//! Passwords are Argon2id hashes. Refresh tokens are random, stored as SHA-256, used once: a refresh
//! marks the token used and issues the next one in the same family; presenting a used token again
//! means it was copied, so the whole family is revoked and every holder must sign in again.
use crate::db::sql::{params, Connection, OptionalExtension};
use crate::error::{CodedError, ErrorCode};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    auth,
    clock::rfc3339,
    db::{Db, DbError},
    AppState,
};

/// Lifetime of a refresh token.
pub const REFRESH_TTL_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// Wrong credentials, or a refresh token that is unknown, used, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    #[error("the account is {0}")]
    NotActive(String),
    #[error("user '{0}' not found")]
    NotFound(String),
    /// Signed in, but not allowed to act on that account.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

impl CodedError for AccountError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Unauthorized(_) | Self::NotActive(_) => ErrorCode::AuthInvalid,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Db(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<crate::db::sql::Error> for AccountError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.into(),
    }
}

/// A user as the API shows them (`/auth/me`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// `user` or `admin` (instance admin).
    pub role: String,
    pub is_admin: bool,
    /// `active`, `inactive` or `suspended`.
    pub status: String,
    /// The code that brings others here (seed 003: on every user).
    pub referral_code: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Credits and membership (seed 003 shows them on register, login and me).
    #[serde(flatten)]
    pub standing: Standing,
}

/// The credits and membership of a person's own (personal) workspace.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Standing {
    pub credit_balance: i64,
    pub is_member: bool,
    /// `monthly`, `quarterly` or `yearly`.
    pub membership_type: Option<String>,
    pub membership_end_date: Option<String>,
}

const USER_COLUMNS: &str =
    "id, username, email, display_name, role, status, created_at, updated_at, referral_code";

fn user_from_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<User> {
    let role: String = r.get(4)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        display_name: r.get(3)?,
        is_admin: role == "admin",
        role,
        status: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        referral_code: r.get(8)?,
        // Filled by `with_standing` (the ledger's read) before any user leaves this module.
        standing: Standing::default(),
    })
}

/// The user with their credits and membership as of `now`.
fn with_standing(
    c: &Connection,
    mut user: User,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<User, AccountError> {
    let b = crate::ledger::balance_in(c, &user.id, now)
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    user.standing = Standing {
        credit_balance: b.available,
        is_member: b.is_member,
        membership_type: b.membership_type,
        membership_end_date: b.membership_end_date,
    };
    Ok(user)
}

/// A person, with their credits and membership as of `now`.
fn load_user(
    c: &Connection,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<User, AccountError> {
    let user = c
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1 AND kind = 'person' AND deleted_at IS NULL"),
            [id],
            user_from_row,
        )
        .optional()?
        .ok_or_else(|| AccountError::NotFound(id.to_string()))?;
    with_standing(c, user, now)
}

/// Access and refresh tokens (a session carries them nested as `tokens` and again flat, for
/// clients that read either).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    pub user: User,
    pub tokens: Tokens,
    #[serde(flatten)]
    pub flat: Tokens,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Registration {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// Must equal `password` when given.
    pub confirm_password: Option<String>,
    pub display_name: Option<String>,
    /// The code of the person who referred this one (their reward comes with this person's
    /// first paid order).
    pub referral_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Credentials {
    /// A username or an email (the form login sends the email as `username`).
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProfilePatch {
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// 3–32 characters: letters (any script), digits, `_`, `.`, `-`.
pub fn check_username(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    let n = name.chars().count();
    if !(3..=32).contains(&n) {
        return Err(invalid(
            "username",
            format!("username must be 3 to 32 characters (got {n})"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(invalid(
            "username",
            "username may hold letters, digits, '_', '.' and '-' only",
        ));
    }
    Ok(name.to_string())
}

/// A plausible address: one `@`, something on both sides, a dot in the domain, at most 254 bytes.
pub fn check_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(email)
    } else {
        Err(invalid(
            "email",
            "email must be an address like name@example.com",
        ))
    }
}

/// 8–128 characters, not all the same character.
pub fn check_password(field: &'static str, pw: &str) -> Result<(), AccountError> {
    let n = pw.chars().count();
    if !(8..=128).contains(&n) {
        return Err(invalid(
            field,
            format!("password must be 8 to 128 characters (got {n})"),
        ));
    }
    let first = pw.chars().next();
    if pw.chars().all(|c| Some(c) == first) {
        return Err(invalid(
            field,
            "password must not be one repeated character",
        ));
    }
    Ok(())
}

pub(crate) fn hash_password(pw: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Internal(format!("password hashing failed: {e}")))
}

pub(crate) fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Issues an access token and a refresh token in `family` (a new family when None).
fn issue(
    state: &AppState,
    tx: &Connection,
    user_id: &str,
    family: Option<&str>,
) -> Result<Tokens, AccountError> {
    let access = auth::issue_access_token(state, user_id)
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    let refresh = format!("slr_{}", hex::encode(rand::random::<[u8; 32]>()));
    let now = state.clock.now();
    let id = state.ids.new_id().to_string();
    let family = family.map(str::to_string).unwrap_or_else(|| id.clone());
    tx.execute(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            user_id,
            family,
            sha256_hex(&refresh),
            rfc3339(now + Duration::days(REFRESH_TTL_DAYS)),
            rfc3339(now)
        ],
    )?;
    Ok(Tokens {
        access_token: access,
        refresh_token: refresh,
        token_type: "bearer".into(),
        expires_in: state.config.access_token_ttl_secs,
    })
}

fn session(user: User, tokens: Tokens) -> Session {
    Session {
        user,
        flat: tokens.clone(),
        tokens,
    }
}

/// Creates an account and signs it in. The first account on an instance becomes its admin.
#[tracing::instrument(skip(state, r), fields(username = r.username.as_deref().unwrap_or("")))]
pub async fn register(state: &AppState, r: Registration) -> Result<Session, AccountError> {
    let username = check_username(
        r.username
            .as_deref()
            .ok_or_else(|| invalid("username", "username is required"))?,
    )?;
    let email = match r.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Some(check_email(e)?),
        None => None,
    };
    let password = r
        .password
        .clone()
        .ok_or_else(|| invalid("password", "password is required"))?;
    check_password("password", &password)?;
    if let Some(confirm) = &r.confirm_password {
        if *confirm != password {
            return Err(invalid("confirm_password", "the passwords do not match"));
        }
    }
    let display_name = r
        .display_name
        .map(|d| d.trim().chars().take(64).collect::<String>())
        .filter(|d| !d.is_empty());
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))??;
    let referral = r
        .referral_code
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty());
    let id = state.ids.new_id().to_string();
    let at = state.clock.now();
    let now = rfc3339(at);
    let st = state.clone();
    state
        .db
        .write(move |tx| {
            let referred_by = match &referral {
                None => None,
                Some(code) => Some(
                    tx.query_row(
                        "SELECT id FROM users WHERE referral_code = ?1",
                        [code],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?
                    .ok_or_else(|| {
                        invalid(
                            "referral_code",
                            format!("no one has the referral code '{code}'"),
                        )
                    })?,
                ),
            };
            // The local owner of a desktop data dir is not a person who can sign in: don't count it.
            let people: i64 = tx.query_row(
                "SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            let user = NewUser {
                id: &id,
                username: &username,
                email: email.as_deref(),
                display_name: display_name.as_deref(),
                password_hash: Some(&hash),
                is_admin: people == 0,
            };
            insert_user(tx, &user, &now)?;
            if let Some(referrer) = &referred_by {
                tx.execute(
                    "UPDATE users SET referred_by = ?1 WHERE id = ?2",
                    params![referrer, id],
                )?;
            }
            let tokens = issue(&st, tx, &id, None)?;
            Ok(session(load_user(tx, &id, at)?, tokens))
        })
        .await
}

/// A user about to be inserted by [`insert_user`]; `username` and `email` already checked.
struct NewUser<'a> {
    id: &'a str,
    username: &'a str,
    email: Option<&'a str>,
    display_name: Option<&'a str>,
    /// None: an account that cannot sign in with a password (the CLI's, the desktop's owner).
    password_hash: Option<&'a str>,
    is_admin: bool,
}

/// The one place a user row is inserted, with its personal workspace: usernames are unique
/// without regard to case, email addresses as given (they are lower-cased by [`check_email`]).
fn insert_user(
    tx: &crate::db::sql::Transaction<'_>,
    u: &NewUser<'_>,
    now: &str,
) -> Result<(), AccountError> {
    let taken: Option<String> = tx
        .query_row(
            "SELECT CASE WHEN lower(username) = lower(?1) THEN 'username' ELSE 'email' END
             FROM users WHERE lower(username) = lower(?1) OR (?2 IS NOT NULL AND email = ?2) LIMIT 1",
            params![u.username, u.email],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(what) = taken {
        return Err(AccountError::Conflict(format!(
            "that {what} is already registered"
        )));
    }
    let role = if u.is_admin { "admin" } else { "user" };
    let referral_code = free_referral_code(tx, u.id)?;
    tx.execute(
        "INSERT INTO users (id, username, email, display_name, password_hash, role, status, created_at, updated_at, referral_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7, ?8)",
        params![u.id, u.username, u.email, u.display_name, u.password_hash, role, now, referral_code],
    )?;
    crate::workspaces::create_personal_in_tx(tx, u.id, now)?;
    Ok(())
}

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const REFERRAL_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Eight characters derived from the user's id (so the same id always proposes the same code),
/// the next derivation when one is taken.
fn free_referral_code(c: &Connection, user_id: &str) -> Result<String, AccountError> {
    for attempt in 0..16 {
        let digest = Sha256::digest(format!("referral:{user_id}:{attempt}").as_bytes());
        let code: String = digest
            .iter()
            .take(8)
            .map(|b| REFERRAL_ALPHABET[usize::from(b % 32)] as char)
            .collect();
        let taken: Option<String> = c
            .query_row(
                "SELECT id FROM users WHERE referral_code = ?1",
                [&code],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_none() {
            return Ok(code);
        }
    }
    Err(AccountError::Internal(
        "no free referral code after 16 tries".into(),
    ))
}

/// A person's username, if they exist (what sync's conflict list names them by).
pub fn username_of(c: &Connection, user_id: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| {
            r.get::<_, String>(0)
        })
        .optional()?,
    )
}

/// The person who referred `user_id`, if any.
pub fn referrer_of(c: &Connection, user_id: &str) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT referred_by FROM users WHERE id = ?1",
        [user_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Someone one referred: their id, username and when they signed up.
pub type Referred = (String, String, String);

/// The people `referrer_id` referred, newest first, and their count.
pub fn referred_by(
    c: &Connection,
    referrer_id: &str,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Referred>, u64), DbError> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM users WHERE referred_by = ?1",
        [referrer_id],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(
        "SELECT id, username, created_at FROM users WHERE referred_by = ?1
         ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt
        .query_map(params![referrer_id, i64::from(limit), offset as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}

/// People who can sign in: all those registered before `end`, and those registered in
/// [`start`, `end`) (RFC 3339 bounds).
pub fn people_counts(c: &Connection, start: &str, end: &str) -> Result<(i64, i64), DbError> {
    Ok(c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at >= ?1 THEN 1 ELSE 0 END), 0)
         FROM users WHERE kind = 'person' AND password_hash IS NOT NULL AND created_at < ?2",
        params![start, end],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A person's referral code (every user row has one).
pub fn referral_code(c: &Connection, user_id: &str) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT referral_code FROM users WHERE id = ?1",
        [user_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Creates an account without a password (the CLI's `create-user`), under the same username
/// rules as sign-up.
#[tracing::instrument(skip(state))]
pub async fn create_user(
    state: &AppState,
    username: &str,
    is_admin: bool,
) -> Result<String, AccountError> {
    let username = check_username(username)?;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let row_id = id.clone();
    state
        .db
        .write(move |tx| {
            let user = NewUser {
                id: &row_id,
                username: &username,
                email: None,
                display_name: None,
                password_hash: None,
                is_admin,
            };
            insert_user(tx, &user, &now)
        })
        .await?;
    Ok(id)
}

/// The id of the single local owner (the desktop's, or a local-mode server's), created on first
/// start.
pub(crate) fn ensure_local_owner(db: &Db, id: String, now: &str) -> Result<String, AccountError> {
    db.write_sync(|tx| {
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = 'local_owner_id'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = existing {
            return Ok(existing);
        }
        let owner = NewUser {
            id: &id,
            username: "local",
            email: None,
            display_name: None,
            password_hash: None,
            is_admin: true,
        };
        insert_user(tx, &owner, now)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('local_owner_id', ?1)",
            [&id],
        )?;
        Ok(id)
    })
}

/// Signs in with a username or email and a password. Wrong either way is the same 401.
#[tracing::instrument(skip(state, c))]
pub async fn login(state: &AppState, c: Credentials) -> Result<Session, AccountError> {
    let who = c
        .username
        .or(c.email)
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .ok_or_else(|| invalid("username", "username or email is required"))?;
    let password = c
        .password
        .ok_or_else(|| invalid("password", "password is required"))?;
    let row: Option<(String, Option<String>, String)> = state
        .db
        .read({
            let who = who.clone();
            move |c| {
                c.query_row(
                    "SELECT id, password_hash, status FROM users
                     WHERE lower(username) = lower(?1) OR email = lower(?1) LIMIT 1",
                    [&who],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(AccountError::from)
            }
        })
        .await?;
    let wrong = || AccountError::Unauthorized("wrong username or password".into());
    let (id, hash, status) = match row {
        Some((id, Some(hash), status)) => (id, hash, status),
        _ => {
            // Spend the same time as a real check, so timing does not tell who has an account.
            let _ = tokio::task::spawn_blocking(move || {
                verify_password(
                    &password,
                    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                )
            })
            .await;
            return Err(wrong());
        }
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    if !ok {
        return Err(wrong());
    }
    if status != "active" {
        return Err(AccountError::NotActive(status));
    }
    let (st, at) = (state.clone(), state.clock.now());
    state
        .db
        .write(move |tx| {
            let tokens = issue(&st, tx, &id, None)?;
            Ok(session(load_user(tx, &id, at)?, tokens))
        })
        .await
}

/// id, user, family, expiry, used, revoked.
type TokenRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// Exchanges a refresh token for a new pair; a token used twice revokes its family.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, token: &str) -> Result<Session, AccountError> {
    let hash = sha256_hex(token.trim());
    let st = state.clone();
    let now = state.clock.now();
    let outcome = state
        .db
        .write(move |tx| {
            let row: Option<TokenRow> = tx
                .query_row(
                    "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens
                     WHERE token_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()?;
            let Some((id, user_id, family, expires, used, revoked)) = row else {
                return Ok(Err("the refresh token is not valid"));
            };
            let at = rfc3339(now);
            if revoked.is_some() {
                return Ok(Err("the refresh token has been revoked: sign in again"));
            }
            if used.is_some() {
                // Reuse: someone else holds a copy. Revoke every token of this sign-in.
                tx.execute(
                    "UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
                    params![at, family],
                )?;
                return Ok(Err("the refresh token was already used: every session of this sign-in is revoked, sign in again"));
            }
            if expires <= at {
                return Ok(Err("the refresh token has expired: sign in again"));
            }
            let status: String =
                tx.query_row("SELECT status FROM users WHERE id = ?1", [&user_id], |r| r.get(0))?;
            if status != "active" {
                return Err(AccountError::NotActive(status));
            }
            tx.execute("UPDATE refresh_tokens SET used_at = ?1 WHERE id = ?2", params![at, id])?;
            let tokens = issue(&st, tx, &user_id, Some(&family))?;
            let user = load_user(tx, &user_id, st.clock.now())?;
            Ok(Ok(session(user, tokens)))
        })
        .await?;
    // The revocation above must commit even though the caller gets a 401.
    outcome.map_err(|m| AccountError::Unauthorized(m.into()))
}

/// Signs out: the refresh token's family is revoked (access tokens lapse within minutes).
#[tracing::instrument(skip_all)]
pub async fn logout(state: &AppState, user_id: &str, token: &str) -> Result<(), AccountError> {
    let (hash, user, at) = (
        sha256_hex(token.trim()),
        user_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let family: Option<String> = tx
                .query_row(
                    "SELECT family_id FROM refresh_tokens WHERE token_hash = ?1 AND user_id = ?2",
                    params![hash, user],
                    |r| r.get(0),
                )
                .optional()?;
            let family = family.ok_or_else(|| {
                invalid("refresh_token", "that refresh token is not one of your sessions")
            })?;
            tx.execute(
                "UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
                params![at, family],
            )?;
            Ok(())
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn me(state: &AppState, user_id: &str) -> Result<User, AccountError> {
    let (id, now) = (user_id.to_string(), state.clock.now());
    state.db.read(move |c| load_user(c, &id, now)).await
}

#[tracing::instrument(skip(state, p))]
pub async fn update_profile(
    state: &AppState,
    user_id: &str,
    p: ProfilePatch,
) -> Result<User, AccountError> {
    let profile = CheckedProfile::of(&p)?;
    let at = state.clock.now();
    let (id, now) = (user_id.to_string(), rfc3339(at));
    state
        .db
        .write(move |tx| {
            profile.apply_in_tx(tx, &id, &now)?;
            load_user(tx, &id, at)
        })
        .await
}

/// A profile change whose values are checked: `None` leaves a field as it is; an empty email or
/// display name clears it.
struct CheckedProfile {
    username: Option<String>,
    email: Option<Option<String>>,
    display_name: Option<String>,
}

impl CheckedProfile {
    fn of(p: &ProfilePatch) -> Result<Self, AccountError> {
        Ok(Self {
            username: p.username.as_deref().map(check_username).transpose()?,
            email: match p.email.as_deref() {
                Some(e) if e.trim().is_empty() => Some(None),
                Some(e) => Some(Some(check_email(e)?)),
                None => None,
            },
            display_name: p
                .display_name
                .as_ref()
                .map(|d| d.trim().chars().take(64).collect::<String>()),
        })
    }

    /// Writes the change; a username or email someone else has is a conflict.
    fn apply_in_tx(&self, tx: &Connection, id: &str, now: &str) -> Result<(), AccountError> {
        if let Some(u) = &self.username {
            let taken: Option<String> = tx
                .query_row(
                    "SELECT id FROM users WHERE lower(username) = lower(?1) AND id <> ?2",
                    params![u, id],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(AccountError::Conflict(
                    "that username is already registered".into(),
                ));
            }
            tx.execute(
                "UPDATE users SET username = ?1 WHERE id = ?2",
                params![u, id],
            )?;
        }
        if let Some(e) = &self.email {
            if let Some(addr) = e {
                let taken: Option<String> = tx
                    .query_row(
                        "SELECT id FROM users WHERE email = ?1 AND id <> ?2",
                        params![addr, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if taken.is_some() {
                    return Err(AccountError::Conflict(
                        "that email is already registered".into(),
                    ));
                }
            }
            tx.execute("UPDATE users SET email = ?1 WHERE id = ?2", params![e, id])?;
        }
        if let Some(d) = &self.display_name {
            let d = (!d.is_empty()).then_some(d);
            tx.execute(
                "UPDATE users SET display_name = ?1 WHERE id = ?2",
                params![d, id],
            )?;
        }
        tx.execute(
            "UPDATE users SET updated_at = ?1 WHERE id = ?2",
            params![now, id],
        )?;
        Ok(())
    }
}

/// Changes the password; every refresh token of the user is revoked (other devices sign in again).
#[tracing::instrument(skip(state, p))]
pub async fn change_password(
    state: &AppState,
    user_id: &str,
    p: PasswordChange,
) -> Result<(), AccountError> {
    let current = p
        .current_password
        .ok_or_else(|| invalid("current_password", "current_password is required"))?;
    let new = p
        .new_password
        .ok_or_else(|| invalid("new_password", "new_password is required"))?;
    check_password("new_password", &new)?;
    let id = user_id.to_string();
    let hash: Option<String> = state
        .db
        .read({
            let id = id.clone();
            move |c| {
                c.query_row(
                    "SELECT password_hash FROM users WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map(Option::flatten)
                .map_err(AccountError::from)
            }
        })
        .await?;
    let hash = hash.ok_or_else(|| {
        invalid(
            "current_password",
            "this account has no password (the local owner)",
        )
    })?;
    let (ok, new_hash) = tokio::task::spawn_blocking(move || {
        let ok = verify_password(&current, &hash);
        (ok, if ok { hash_password(&new).ok() } else { None })
    })
    .await
    .map_err(|e| AccountError::Internal(e.to_string()))?;
    if !ok {
        return Err(invalid("current_password", "the current password is wrong"));
    }
    let new_hash = new_hash.ok_or_else(|| AccountError::Internal("hashing failed".into()))?;
    let now = rfc3339(state.clock.now());
    state
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                params![new_hash, now, id],
            )?;
            tx.execute(
                "UPDATE refresh_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                params![now, id],
            )?;
            Ok(())
        })
        .await
}

/// The instance's users, newest first (admin).
#[tracing::instrument(skip(state))]
pub async fn list_users(
    state: &AppState,
    status: Option<String>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<User>, u64), AccountError> {
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            // Workspaces own data through rows of kind 'workspace'; they are not people.
            let filter =
                "WHERE kind = 'person' AND deleted_at IS NULL AND (?1 IS NULL OR status = ?1)";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM users {filter}"),
                [&status],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {USER_COLUMNS} FROM users {filter} ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let users = stmt
                .query_map(params![status, limit as i64, offset as i64], user_from_row)?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|u| with_standing(c, u, now))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((users, total as u64))
        })
        .await
}

/// Sets a user's status (an instance admin, who may not suspend or deactivate themselves).
#[tracing::instrument(skip(state))]
pub async fn set_status(
    state: &AppState,
    admin_id: &str,
    user_id: &str,
    status: &str,
) -> Result<User, AccountError> {
    if admin_id == user_id && status != "active" {
        return Err(invalid(
            "status",
            "you cannot suspend or deactivate yourself",
        ));
    }
    change_status(state, user_id, status).await
}

/// The one place a user's status changes. A suspended or inactive user's tokens and keys stop at
/// once (every credential check reads the status), and their refresh tokens are revoked.
#[tracing::instrument(skip(state))]
pub async fn change_status(
    state: &AppState,
    user_id: &str,
    status: &str,
) -> Result<User, AccountError> {
    if !matches!(status, "active" | "inactive" | "suspended") {
        return Err(invalid(
            "status",
            format!("unknown status '{status}': use active, inactive or suspended"),
        ));
    }
    let at = state.clock.now();
    let (id, st, now) = (user_id.to_string(), status.to_string(), rfc3339(at));
    state
        .db
        .write(move |tx| {
            load_user(tx, &id, at)?;
            tx.execute(
                "UPDATE users SET status = ?1, updated_at = ?2 WHERE id = ?3",
                params![st, now, id],
            )?;
            if st != "active" {
                tx.execute(
                    "UPDATE refresh_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                    params![now, id],
                )?;
            }
            load_user(tx, &id, at)
        })
        .await
}

mod by_id;
pub mod oauth;
mod oauth_cn;
pub use by_id::{delete_user, get_user, update_user, Actor, UserPatch};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_emails_and_passwords_are_checked_with_the_field_named() {
        assert_eq!(check_username(" 林晓_01 ").unwrap(), "林晓_01");
        for bad in ["ab", "a b c", "x".repeat(33).as_str(), "semi;colon"] {
            assert!(
                matches!(
                    check_username(bad),
                    Err(AccountError::Invalid {
                        field: "username",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert_eq!(check_email("Ann@Example.COM").unwrap(), "ann@example.com");
        for bad in [
            "ann",
            "ann@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@.com",
        ] {
            assert!(
                matches!(
                    check_email(bad),
                    Err(AccountError::Invalid { field: "email", .. })
                ),
                "{bad}"
            );
        }
        assert!(check_password("password", "correct horse").is_ok());
        assert!(check_password("password", "short").is_err());
        assert!(check_password("password", "aaaaaaaaaa").is_err());
        assert!(check_password("password", &"x1".repeat(65)).is_err());
    }

    #[test]
    fn argon2_hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("x", "not a hash"));
    }
}
