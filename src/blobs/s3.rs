//! The blob store's bucket (issue 16): blobs at `prefix/ab/cdef…` in an S3-compatible bucket,
//! through `object_store` (SigV4, retries, multipart uploads, path-style addressing for an endpoint).
//!
//! [`BlobStore`](super::BlobStore)'s methods are synchronous and called from blocking threads and
//! from async tasks alike, so the client's requests run on a runtime of their own (one I/O thread,
//! as the PostgreSQL connections do) and callers block on them with `futures_executor`, never
//! entering a runtime themselves.
use std::{
    collections::VecDeque,
    fs::File,
    future::Future,
    io::{self, Read},
    path::Path,
    sync::Arc,
    time::Duration,
};

use futures_util::StreamExt;
use md5::{Digest, Md5};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path as ObjectPath,
    signer::Signer,
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig,
};

use super::BlobError;
use crate::config::BlobBucket;

/// Blobs up to this size are one PUT; larger ones a multipart upload of parts this size, read
/// from the file one part at a time (S3's smallest part is 5 MiB).
pub(super) const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts of one multipart upload in flight at once (each holds a part in memory).
const PARTS_IN_FLIGHT: usize = 2;

/// Longest a request may take, body included (a blob of a few GB over a slow link).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The runtime that runs every bucket request of the process, on one thread of its own.
fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("blobs-s3-io")
            .enable_all()
            .build()
            .expect("the blob bucket's I/O runtime starts")
    })
}

/// Blocks the calling thread (any thread) on `fut`, which the I/O runtime drives. Unconstrained:
/// called from inside a tokio task, tokio's cooperative budget is that task's, and once spent it
/// would answer every poll "not yet" and wake at once, so this loop would spin forever (it did, in
/// CI, reading a blob of many chunks from a test's task).
fn wait<F: Future>(fut: F) -> F::Output {
    futures_executor::block_on(tokio::task::unconstrained(fut))
}

/// Runs a future on the I/O runtime and blocks the calling thread (any thread) until it is done.
fn run<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> Result<T, BlobError> {
    wait(io_runtime().spawn(fut)).map_err(joined)
}

fn joined(e: tokio::task::JoinError) -> BlobError {
    match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(e) => BlobError::Bucket(e.to_string()),
    }
}

fn bucket_err(e: object_store::Error) -> BlobError {
    BlobError::Bucket(e.to_string())
}

/// The object key of a blob: `prefix/ab/cdef…` (`ab/cdef…` without a prefix), as in the cache.
pub(super) fn object_key(prefix: &str, sha256: &str) -> String {
    let (head, tail) = sha256.split_at(2);
    if prefix.is_empty() {
        format!("{head}/{tail}")
    } else {
        format!("{prefix}/{head}/{tail}")
    }
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&Md5::digest(bytes));
    out
}

/// The ETag S3 gives a multipart upload's object: the MD5 of its parts' MD5s, a dash, the count.
pub(super) fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut all = Md5::new();
    for md5 in part_md5s {
        all.update(md5);
    }
    format!("{}-{}", hex::encode(all.finalize()), part_md5s.len())
}

/// An ETag as sent (`"…"`, maybe weak) in the form it is compared in.
pub(super) fn normalize_etag(e_tag: &str) -> String {
    e_tag
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_ascii_lowercase()
}

pub(super) struct Bucket {
    store: Arc<AmazonS3>,
    prefix: String,
    describe: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Bucket {
    pub(super) fn open(config: &BlobBucket) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            // A few quick retries: a write waits on them, and a failed one is the caller's error.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
            })
            // The client's default (30 s for a whole request, body included) would cut off the
            // download of any blob bigger than 30 s of bandwidth (a long export).
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(REQUEST_TIMEOUT)
                    .with_connect_timeout(Duration::from_secs(5)),
            );
        if let Some(endpoint) = &config.endpoint {
            // S3-compatible servers (MinIO, moto, Ceph) are addressed path-style, often over http.
            // (Set after the client options, which would reset allow_http.)
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
            if let Some(token) = &config.session_token {
                builder = builder.with_token(token);
            }
        }
        let store = builder.build().map_err(bucket_err)?;
        let describe = format!(
            "s3://{}/{} at {}",
            config.bucket,
            config.prefix,
            config.endpoint.as_deref().unwrap_or("AWS")
        );
        tracing::info!(bucket = %describe, "blobs are kept in a bucket");
        Ok(Self {
            store: Arc::new(store),
            prefix: config.prefix.clone(),
            describe,
        })
    }

    fn path(&self, sha256: &str) -> ObjectPath {
        ObjectPath::from(object_key(&self.prefix, sha256))
    }

    /// Uploads the blob in `file` (`size` bytes, already hashed to `sha256`) and verifies the
    /// stored object: its ETag must be the MD5 S3 computes over what it received (or, where the
    /// ETag is no MD5, e.g. SSE-KMS, the object is read back and its SHA-256 checked). Requests
    /// are signed with their payload's SHA-256 too, which S3 itself checks.
    #[tracing::instrument(skip(self, file))]
    pub(super) fn upload(&self, sha256: &str, file: &Path, size: u64) -> Result<(), BlobError> {
        let path = self.path(sha256);
        let mut file = File::open(file)?;
        let (e_tag, expected) = if size <= PART_SIZE as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes)?;
            let expected = hex::encode(Md5::digest(&bytes));
            let store = self.store.clone();
            let put = run(async move { store.put(&path, PutPayload::from(bytes)).await })?
                .map_err(bucket_err)?;
            (put.e_tag, expected)
        } else {
            self.upload_multipart(path, &mut file)?
        };
        self.verify_upload(sha256, e_tag.as_deref(), &expected)
    }

    /// A multipart upload read from `file` one part at a time; aborted on any error. The ETag
    /// stored, and the one expected from the parts' MD5s.
    fn upload_multipart(
        &self,
        path: ObjectPath,
        file: &mut File,
    ) -> Result<(Option<String>, String), BlobError> {
        let store = self.store.clone();
        let mut upload =
            run(async move { store.put_multipart(&path).await })?.map_err(bucket_err)?;
        let mut md5s = Vec::new();
        let mut sent = || -> Result<(), BlobError> {
            let mut in_flight = VecDeque::new();
            loop {
                let mut part = Vec::with_capacity(PART_SIZE);
                file.by_ref()
                    .take(PART_SIZE as u64)
                    .read_to_end(&mut part)?;
                if part.is_empty() {
                    break;
                }
                md5s.push(md5_of(&part));
                in_flight.push_back(io_runtime().spawn(upload.put_part(PutPayload::from(part))));
                if in_flight.len() >= PARTS_IN_FLIGHT {
                    let oldest = in_flight.pop_front().expect("one part is in flight");
                    wait(oldest).map_err(joined)?.map_err(bucket_err)?;
                }
            }
            for part in in_flight {
                wait(part).map_err(joined)?.map_err(bucket_err)?;
            }
            Ok(())
        };
        let completed = match sent() {
            Ok(()) => {
                let (back, completed) = run(async move {
                    let completed = upload.complete().await;
                    (upload, completed)
                })?;
                upload = back;
                completed.map_err(bucket_err)
            }
            Err(e) => Err(e),
        };
        match completed {
            Ok(put) => Ok((put.e_tag, multipart_etag(&md5s))),
            Err(e) => {
                // Parts already stored cost money until the upload is aborted.
                if let Ok(Err(abort)) = run(async move { upload.abort().await }) {
                    tracing::warn!(error = %abort, "could not abort a failed multipart upload");
                }
                Err(e)
            }
        }
    }

    fn verify_upload(
        &self,
        sha256: &str,
        e_tag: Option<&str>,
        expected: &str,
    ) -> Result<(), BlobError> {
        if e_tag.map(normalize_etag).as_deref() == Some(expected) {
            return Ok(());
        }
        // Not the MD5 of what was sent: an ETag of another kind, or a corrupted upload. Read it back.
        tracing::debug!(
            sha256,
            ?e_tag,
            expected,
            "ETag differs; verifying by reading back"
        );
        let mut hasher = sha2::Sha256::new();
        let found = self.download(sha256, |chunk| {
            hasher.update(chunk);
            Ok(())
        })?;
        let actual = hex::encode(hasher.finalize());
        if found && actual == sha256 {
            return Ok(());
        }
        tracing::error!(
            sha256,
            actual,
            "an uploaded blob did not verify; deleting it"
        );
        if let Err(e) = self.delete(sha256) {
            tracing::warn!(sha256, error = %e, "could not delete a corrupt upload");
        }
        Err(BlobError::Bucket(format!(
            "the upload of blob {sha256} did not verify"
        )))
    }

    /// Streams a blob's bytes into `sink` as they arrive (the caller hashes and stores them).
    /// False when the bucket has no such blob.
    #[tracing::instrument(skip(self, sink))]
    pub(super) fn download(
        &self,
        sha256: &str,
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<bool, BlobError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<object_store::Result<bytes::Bytes>>(4);
        let (store, path) = (self.store.clone(), self.path(sha256));
        // The body is read on the I/O runtime; hashing and disk writes stay on the caller's thread.
        io_runtime().spawn(async move {
            match store.get(&path).await {
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                }
                Ok(got) => {
                    let mut body = got.into_stream();
                    while let Some(chunk) = body.next().await {
                        if tx.send(chunk).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        while let Some(chunk) = wait(rx.recv()) {
            match chunk {
                Ok(bytes) => sink(&bytes)?,
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(bucket_err(e)),
            }
        }
        Ok(true)
    }

    /// A URL that lets its holder GET the blob's object until `expires_in` has passed, without
    /// credentials (SigV4 query parameters).
    #[tracing::instrument(skip(self))]
    pub(super) fn presigned_get(
        &self,
        sha256: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        run(async move { store.signed_url(http::Method::GET, &path, expires_in).await })?
            .map(|url| url.to_string())
            .map_err(bucket_err)
    }

    /// True when the bucket has an object for this blob.
    #[tracing::instrument(skip(self))]
    pub(super) fn contains(&self, sha256: &str) -> Result<bool, BlobError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        match run(async move { store.head(&path).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(bucket_err(e)),
        }
    }

    /// Deletes a blob's object; a missing one is fine.
    #[tracing::instrument(skip(self))]
    pub(super) fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        match run(async move { store.delete(&path).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(bucket_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_mirror_the_cache_layout_under_the_prefix() {
        let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(
            object_key("team/blobs", sha),
            "team/blobs/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            object_key("", sha),
            "2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        // object_store keeps the key as is (no encoding of the hex or the slashes).
        assert_eq!(
            ObjectPath::from(object_key("p", sha)).as_ref(),
            object_key("p", sha)
        );
    }

    #[test]
    fn etags_are_compared_as_s3_computes_them() {
        // A single PUT: the MD5 of the body (md5("hello")).
        assert_eq!(
            normalize_etag("\"5D41402ABC4B2A76B9719D911017C592\""),
            hex::encode(Md5::digest(b"hello"))
        );
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        // A multipart upload: md5 of the concatenated part MD5s, "-", the part count
        // (checked against `printf` + `md5sum` of the two binary digests).
        let parts = [md5_of(b"hello"), md5_of(b"world")];
        let mut joined = parts[0].to_vec();
        joined.extend_from_slice(&parts[1]);
        assert_eq!(
            multipart_etag(&parts),
            format!("{}-2", hex::encode(Md5::digest(&joined)))
        );
    }
}
