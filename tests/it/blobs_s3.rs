//! Blobs in an S3-compatible bucket (issue 16): instances with their own data directories share
//! one bucket, the data directory being its cache. Runs against a real S3-compatible server when
//! `STORYLOOM_TEST_S3_ENDPOINT` is set (`scripts/s3-test-server.sh start DIR`: moto), else returns.
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use storyloom::{
    blobs::{BlobError, BlobStore},
    config::{AuthMode, BlobBucket, Config},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::common::TestServer;

const PREFIX: &str = "team/blobs";

/// For requests made around Storyloom: moto refuses anonymous object reads, and takes any
/// credential without checking its signature.
const RAW_AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
                        SignedHeaders=host, Signature=00";

fn endpoint() -> Option<String> {
    std::env::var("STORYLOOM_TEST_S3_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A new empty bucket on the test server (moto takes an unsigned CreateBucket).
async fn fresh_bucket(endpoint: &str) -> String {
    let name = format!("storyloom-{}", uuid::Uuid::now_v7().simple());
    let res = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(res.status().is_success(), "CreateBucket: {}", res.status());
    name
}

fn bucket_config(endpoint: &str, bucket: &str) -> BlobBucket {
    BlobBucket {
        bucket: bucket.to_string(),
        prefix: PREFIX.to_string(),
        endpoint: Some(endpoint.to_string()),
        region: "us-east-1".into(),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        session_token: None,
    }
}

fn open(dir: &tempfile::TempDir, endpoint: &str, bucket: &str) -> BlobStore {
    BlobStore::open_with_bucket(dir.path().join("blobs"), &bucket_config(endpoint, bucket)).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn object_url(endpoint: &str, bucket: &str, sha: &str) -> String {
    format!("{endpoint}/{bucket}/{PREFIX}/{}/{}", &sha[..2], &sha[2..])
}

/// The object as the bucket holds it, read around Storyloom: None when there is none.
async fn raw_object(endpoint: &str, bucket: &str, sha: &str) -> Option<Vec<u8>> {
    let res = reqwest::Client::new()
        .get(object_url(endpoint, bucket, sha))
        .header("authorization", RAW_AUTH)
        .send()
        .await
        .unwrap();
    match res.status() {
        StatusCode::NOT_FOUND => None,
        s if s.is_success() => Some(res.bytes().await.unwrap().to_vec()),
        s => panic!("GET object: {s}"),
    }
}

/// The cache file of a blob, looked at without fetching it.
fn cached(store: &BlobStore, sha: &str) -> std::path::PathBuf {
    store.root().join(&sha[..2]).join(&sha[2..])
}

/// Bytes that do not repeat in any short period (so a shifted or truncated copy never matches).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

// The store's calls block: called straight from this async test they must still work (their
// requests run on the store's own I/O runtime, not the caller's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_a_blob_written_on_one_instance_is_read_on_another() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (
        open(&dir_a, &endpoint, &bucket),
        open(&dir_b, &endpoint, &bucket),
    );

    // One PUT, and a multipart upload (over the part size: three parts, the last one short).
    let small = pseudo_random(100_000, 1);
    let large = pseudo_random(17 * 1024 * 1024 + 123, 2);
    let stored_small = a.put_bytes(&small).unwrap();
    let mut writer = a.writer().unwrap();
    for piece in large.chunks(1 << 20) {
        writer.write(piece).unwrap();
    }
    let stored_large = writer.finish().unwrap();

    for (bytes, stored) in [(&small, &stored_small), (&large, &stored_large)] {
        let sha = sha256_hex(bytes);
        assert_eq!(stored.sha256, sha);
        assert_eq!(stored.size, bytes.len() as u64);
        // In the bucket under prefix/ab/cdef…, byte for byte.
        assert_eq!(
            raw_object(&endpoint, &bucket, &sha).await.as_ref(),
            Some(bytes)
        );
        // B has never seen it: fetched into its cache on first read, then served from there.
        assert!(!cached(&b, &sha).exists());
        let read = b.read(&sha).unwrap();
        assert_eq!(&read, bytes);
        assert_eq!(sha256_hex(&read), sha);
        assert!(cached(&b, &sha).exists());
        assert_eq!(std::fs::read(b.path_of(&sha).unwrap()).unwrap(), *bytes);
    }
    // A third instance learns of a blob through `exists`, and through `path_of` (what ffmpeg and
    // downloads use).
    let dir_c = tempfile::tempdir().unwrap();
    let c = open(&dir_c, &endpoint, &bucket);
    assert!(c.exists(&stored_small.sha256));
    assert_eq!(
        std::fs::read(c.path_of(&stored_large.sha256).unwrap()).unwrap(),
        large
    );
    let missing = "0".repeat(64);
    assert!(!c.exists(&missing));
    assert!(matches!(c.read(&missing), Err(BlobError::NotFound(_))));

    // Removing deletes the bucket copy too: no instance can fetch it again.
    a.remove(&stored_small.sha256).unwrap();
    assert_eq!(
        raw_object(&endpoint, &bucket, &stored_small.sha256).await,
        None
    );
    let dir_d = tempfile::tempdir().unwrap();
    assert!(!open(&dir_d, &endpoint, &bucket).exists(&stored_small.sha256));
    // Nothing is left in any tmp/.
    for store in [&a, &b, &c] {
        assert_eq!(
            std::fs::read_dir(store.root().join("tmp")).unwrap().count(),
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blobs_s3_a_range_request_on_instance_b_serves_an_asset_uploaded_on_a() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let a = TestServer::start_with(AuthMode::Local, |config| {
        config.blob_bucket = Some(bucket_config(&endpoint, &bucket));
    })
    .await;
    // B: its own data directory (its own blob cache) on A's database. On PostgreSQL that is the
    // same URL; on SQLite, B's storyloom.db is a link to A's.
    let dir_b = tempfile::tempdir().unwrap();
    if a.state.config.database_url.is_none() {
        std::os::unix::fs::symlink(
            a.dir.path().join("storyloom.db"),
            dir_b.path().join("storyloom.db"),
        )
        .unwrap();
    }
    let config_b = Config {
        database_url: a.state.config.database_url.clone(),
        blob_bucket: Some(bucket_config(&endpoint, &bucket)),
        ..Config::server(dir_b.path().to_path_buf(), AuthMode::Local)
    };
    let b = TestServer::start_in(dir_b, config_b).await;
    assert_ne!(a.state.blobs.root(), b.state.blobs.root());

    let (status, project) = a
        .post("/api/v1/projects", serde_json::json!({"name": "Replicas"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let pid = project["id"].as_str().unwrap();
    // A file of type `other` (not decoded, so any bytes do), big enough for ranges in it.
    let bytes = pseudo_random(300_000, 3);
    let (status, asset) = a
        .multipart(
            "/api/v1/assets",
            &[("project_id", pid), ("type", "other")],
            vec![("file", "take.bin", bytes.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let (id, sha) = (
        asset["id"].as_str().unwrap(),
        asset["sha256"].as_str().unwrap(),
    );
    assert_eq!(sha, sha256_hex(&bytes));
    assert!(!cached(&b.state.blobs, sha).exists());

    let res = b
        .client
        .get(b.url(&format!("/api/v1/assets/{id}/download")))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes[1000..2000]);
    // Fetched once into B's cache, verified: later ranges are read from there.
    assert!(cached(&b.state.blobs, sha).exists());
    let res = b
        .client
        .get(b.url(&format!("/api/v1/assets/{id}/download")))
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        bytes[bytes.len() - 10..]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_a_corrupt_bucket_copy_is_refused_not_served() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(&dir_a, &endpoint, &bucket);
    let bytes = pseudo_random(50_000, 4);
    let sha = a.put_bytes(&bytes).unwrap().sha256;

    // The bucket's copy is overwritten with other bytes (same length) behind Storyloom's back.
    let mut other = bytes.clone();
    other[25_000] ^= 0xff;
    let res = reqwest::Client::new()
        .put(object_url(&endpoint, &bucket, &sha))
        .header("authorization", RAW_AUTH)
        .header("content-type", "application/octet-stream")
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let b = open(&dir_b, &endpoint, &bucket);
    match b.read(&sha) {
        Err(BlobError::Corrupt { sha256, actual }) => {
            assert_eq!(sha256, sha);
            assert_eq!(actual, sha256_hex(&other));
        }
        other => panic!(
            "a corrupt copy must be refused, got {:?}",
            other.map(|v| v.len())
        ),
    }
    assert!(matches!(b.path_of(&sha), Err(BlobError::Corrupt { .. })));
    assert!(!b.exists(&sha));
    // Nothing was put in B's cache, not even half a file.
    assert!(!cached(&b, &sha).exists());
    assert_eq!(std::fs::read_dir(b.root().join("tmp")).unwrap().count(), 0);
    // A still has its verified copy.
    assert_eq!(a.read(&sha).unwrap(), bytes);
}

/// What the proxy in front of the S3 server does to the first PUT's body of each connection.
#[derive(Clone, Copy)]
enum Tamper {
    /// Forwards half of it, then closes both connections (a client or network dying mid-upload).
    Truncate,
    /// Flips one byte of it (a corrupting middlebox), then relays the rest faithfully.
    Corrupt,
}

/// A TCP proxy to `upstream` that tampers with PUT bodies; its address.
async fn tampering_proxy(upstream: &str, tamper: Tamper) -> String {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let _ = relay(client, &upstream, tamper).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn relay(mut client: TcpStream, upstream: &str, tamper: Tamper) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    // The request head, and whatever of the body came with it.
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if !head.starts_with("put ") || length == 0 {
        server.write_all(&buf).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        return Ok(());
    }
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 65536];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    match tamper {
        Tamper::Truncate => {
            server.write_all(&buf[..head_end + length / 2]).await?;
            server.flush().await?;
            // Both sides see the connection end mid-body.
            drop(server);
            drop(client);
        }
        Tamper::Corrupt => {
            buf[head_end + length / 2] ^= 0xff;
            server.write_all(&buf).await?;
            tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_an_interrupted_upload_is_an_error_and_stores_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let proxy = tampering_proxy(&endpoint, Tamper::Truncate).await;
    let dir = tempfile::tempdir().unwrap();
    let through_proxy = open(&dir, &proxy, &bucket);
    let bytes = pseudo_random(200_000, 5);
    let sha = sha256_hex(&bytes);

    // Every attempt (the client retries) is cut off mid-body: the write fails.
    let store = through_proxy.clone();
    let put = tokio::task::spawn_blocking(move || store.put_bytes(&bytes))
        .await
        .unwrap();
    assert!(matches!(put, Err(BlobError::Bucket(_))), "{put:?}");
    // Not recorded as stored: not in the cache, not in tmp/, not in the bucket.
    assert!(!cached(&through_proxy, &sha).exists());
    assert_eq!(
        std::fs::read_dir(through_proxy.root().join("tmp"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(raw_object(&endpoint, &bucket, &sha).await, None);
    let dir_b = tempfile::tempdir().unwrap();
    let b = open(&dir_b, &endpoint, &bucket);
    assert!(!tokio::task::spawn_blocking(move || b.exists(&sha))
        .await
        .unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_an_upload_corrupted_in_flight_is_an_error_and_deleted() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let proxy = tampering_proxy(&endpoint, Tamper::Corrupt).await;
    let dir = tempfile::tempdir().unwrap();
    let through_proxy = open(&dir, &proxy, &bucket);
    let bytes = pseudo_random(200_000, 6);
    let sha = sha256_hex(&bytes);

    let store = through_proxy.clone();
    let put = tokio::task::spawn_blocking(move || store.put_bytes(&bytes))
        .await
        .unwrap();
    // Either the server refused the body (its signed SHA-256 does not match, as S3 does) or it
    // stored it and the ETag check caught it: an error both ways, and nothing stored.
    assert!(matches!(put, Err(BlobError::Bucket(_))), "{put:?}");
    assert!(!cached(&through_proxy, &sha).exists());
    assert_eq!(raw_object(&endpoint, &bucket, &sha).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_push_uploads_a_data_directory_kept_before_the_bucket() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    // A server that kept its files in its data directory…
    let local = BlobStore::open(dir.path().join("blobs")).unwrap();
    let bytes = pseudo_random(30_000, 7);
    let kept = local.put_bytes(&bytes).unwrap();
    // …one of them rotten on disk: it is not spread.
    let rotten = local.put_bytes(b"rotten").unwrap();
    std::fs::write(cached(&local, &rotten.sha256), b"rotteN").unwrap();

    // …moves to a bucket: its cached blobs are not in the bucket until pushed.
    let with_bucket = open(&dir, &endpoint, &bucket);
    assert_eq!(raw_object(&endpoint, &bucket, &kept.sha256).await, None);
    assert_eq!(with_bucket.push_to_bucket().unwrap(), 1);
    assert_eq!(with_bucket.push_to_bucket().unwrap(), 0, "pushed once");
    assert_eq!(
        raw_object(&endpoint, &bucket, &kept.sha256).await,
        Some(bytes.clone())
    );
    assert_eq!(raw_object(&endpoint, &bucket, &rotten.sha256).await, None);
    let dir_b = tempfile::tempdir().unwrap();
    assert_eq!(
        open(&dir_b, &endpoint, &bucket).read(&kept.sha256).unwrap(),
        bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_a_presigned_url_gets_the_blob_without_credentials() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, &endpoint, &bucket);
    let bytes = pseudo_random(40_000, 8);
    let sha = store.put_bytes(&bytes).unwrap().sha256;

    let url = store
        .presigned_get_url(&sha, std::time::Duration::from_secs(300))
        .unwrap()
        .expect("a store with a bucket signs URLs");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    // No Authorization header: the query signs the request (moto refuses anonymous reads).
    let client = reqwest::Client::new();
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    let res = client
        .get(&url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes[100..200]);

    // Without a bucket there is nothing to sign.
    let local_dir = tempfile::tempdir().unwrap();
    let local = BlobStore::open(local_dir.path()).unwrap();
    assert_eq!(
        local
            .presigned_get_url(&sha, std::time::Duration::from_secs(300))
            .unwrap(),
        None
    );
}

/// `/health`'s storage check (`BlobStore::writable`) asks the bucket too: a store whose bucket
/// does not answer is not healthy, even with a writable cache directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_s3_the_health_check_asks_the_bucket() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = fresh_bucket(&endpoint).await;
    let (dir, dir_gone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(open(&dir, &endpoint, &bucket).writable());
    // Nothing listens on port 1: the same cache, a bucket that cannot be reached.
    assert!(!open(&dir_gone, "http://127.0.0.1:1", &bucket).writable());
}
