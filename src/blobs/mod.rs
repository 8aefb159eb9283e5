//! Content-addressed file store: `blobs/ab/cdef…` named by SHA-256. Files are written to a temp file in
//! the same directory tree and renamed into place, so a crash never leaves a half file under a real name.
//!
//! A team server past one machine (issue 16, `--blobs s3://bucket/prefix`) keeps its blobs in an
//! S3-compatible bucket, and this directory becomes the bucket's local cache: callers still get a
//! local path (ffmpeg reads it, downloads serve it with ranges). A write is uploaded, and verified,
//! before it is renamed into the cache, so a cached blob is always a stored one; a blob missing
//! from the cache is fetched from the bucket and its SHA-256 checked before it is renamed into place.
#[cfg(feature = "server")]
mod s3;

use std::{
    fs,
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlobRef {
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob storage I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("'{0}' is not a SHA-256 hex digest")]
    BadDigest(String),
    #[error("blob {0} not found")]
    NotFound(String),
    /// The bucket's copy of a blob is not the blob (its bytes hash to something else): refused.
    #[error("blob {sha256} in the bucket is corrupt (its bytes hash to {actual})")]
    Corrupt { sha256: String, actual: String },
    #[error("blob bucket error: {0}")]
    Bucket(String),
}

/// Temp files older than this at start belong to a write that was killed, not one in progress.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// A blob being written; dropped without [`BlobWriter::finish`], its temp file is removed.
pub struct BlobWriter {
    store: BlobStore,
    tmp: tempfile::NamedTempFile,
    hasher: Sha256,
    size: u64,
}

impl BlobWriter {
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        self.hasher.update(bytes);
        self.tmp.write_all(bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> Result<BlobRef, BlobError> {
        self.store.commit(self.tmp, self.hasher, self.size)
    }
}

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// The bucket this directory caches (`--blobs s3://…`); None: the directory is the store.
    #[cfg(feature = "server")]
    bucket: Option<std::sync::Arc<s3::Bucket>>,
}

impl BlobStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp"))?;
        let store = Self {
            root,
            #[cfg(feature = "server")]
            bucket: None,
        };
        // A process killed mid-write leaves its temp file behind (nothing drops it); an hour is far
        // longer than any write in progress by another process sharing the directory takes.
        match store.remove_stale_temp_files(STALE_TEMP_AGE) {
            Ok(0) => {}
            Ok(removed) => {
                tracing::info!(removed, "removed temp files left by an interrupted write")
            }
            Err(e) => tracing::warn!(error = %e, "could not clean the blob store's tmp/"),
        }
        Ok(store)
    }

    /// A store whose blobs live in an S3-compatible bucket, with `root` as its local cache.
    #[cfg(feature = "server")]
    #[tracing::instrument(skip(root))]
    pub fn open_with_bucket(
        root: impl Into<PathBuf>,
        bucket: &crate::config::BlobBucket,
    ) -> Result<Self, BlobError> {
        let mut store = Self::open(root)?;
        store.bucket = Some(std::sync::Arc::new(s3::Bucket::open(bucket)?));
        Ok(store)
    }

    /// Removes files in `tmp/` last written more than `age` ago; returns how many.
    pub fn remove_stale_temp_files(&self, age: std::time::Duration) -> io::Result<usize> {
        let now = std::time::SystemTime::now();
        let mut removed = 0;
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let entry = entry?;
            let modified = entry.metadata()?.modified()?;
            if now.duration_since(modified).unwrap_or_default() >= age {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores bytes; storing the same bytes twice keeps one file.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<BlobRef, BlobError> {
        self.put_reader(bytes)
    }

    /// Streams a reader into the store, hashing as it goes.
    #[tracing::instrument(skip(self, reader))]
    pub fn put_reader(&self, mut reader: impl Read) -> Result<BlobRef, BlobError> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
            size += n as u64;
        }
        self.commit(tmp, hasher, size)
    }

    fn commit(
        &self,
        tmp: tempfile::NamedTempFile,
        hasher: Sha256,
        size: u64,
    ) -> Result<BlobRef, BlobError> {
        tmp.as_file().sync_all()?;
        let sha256 = hex::encode(hasher.finalize());
        let dest = self.local_path(&sha256)?;
        if !dest.exists() {
            // Uploaded (and verified) before it is renamed into the cache: a failed upload leaves
            // no blob behind, here or there, and the write is an error.
            #[cfg(feature = "server")]
            if let Some(bucket) = &self.bucket {
                bucket.upload(&sha256, tmp.path(), size)?;
            }
            fs::create_dir_all(dest.parent().expect("blob paths have a parent"))?;
            tmp.persist(&dest).map_err(|e| e.error)?;
        }
        Ok(BlobRef { sha256, size })
    }

    /// Starts a blob written piece by piece (an upload arriving in chunks); nothing is visible under
    /// a real name until [`BlobWriter::finish`].
    pub fn writer(&self) -> Result<BlobWriter, BlobError> {
        Ok(BlobWriter {
            store: self.clone(),
            tmp: tempfile::NamedTempFile::new_in(self.root.join("tmp"))?,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Removes a blob's file (after its last asset row is gone), and its bucket copy. Missing files
    /// are fine.
    pub fn remove(&self, sha256: &str) -> Result<(), BlobError> {
        match fs::remove_file(self.local_path(sha256)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(BlobError::Io(e)),
            _ => {}
        }
        #[cfg(feature = "server")]
        if let Some(bucket) = &self.bucket {
            bucket.delete(&sha256.to_ascii_lowercase())?;
        }
        Ok(())
    }

    /// Where the blob with this digest lives (whether or not it exists). With a bucket, a blob
    /// missing here is fetched into the cache first (another replica stored it).
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        let path = self.local_path(sha256)?;
        #[cfg(feature = "server")]
        if let Some(bucket) = &self.bucket {
            if !path.exists() {
                self.fetch(bucket, &sha256.to_ascii_lowercase(), &path)?;
            }
        }
        Ok(path)
    }

    /// With a bucket, a presigned URL that GETs the blob straight from the bucket (ranges too)
    /// until `expires_in` has passed: a download that need not pass through this server. None
    /// without a bucket. Not checked for existence: the URL answers 404 for a missing blob.
    #[cfg(feature = "server")]
    pub fn presigned_get_url(
        &self,
        sha256: &str,
        expires_in: std::time::Duration,
    ) -> Result<Option<String>, BlobError> {
        self.local_path(sha256)?;
        match &self.bucket {
            None => Ok(None),
            Some(bucket) => bucket
                .presigned_get(&sha256.to_ascii_lowercase(), expires_in)
                .map(Some),
        }
    }

    /// Uploads every blob of the local directory that the bucket lacks (a data directory from
    /// before `--blobs`: a blob in the cache is otherwise taken to be in the bucket and never
    /// uploaded again). Each file is hashed first: one that is not its blob is skipped, not
    /// spread. How many were uploaded.
    #[cfg(feature = "server")]
    #[tracing::instrument(skip(self))]
    pub fn push_to_bucket(&self) -> Result<usize, BlobError> {
        let Some(bucket) = &self.bucket else {
            return Err(BlobError::Bucket(
                "no bucket is configured (--blobs)".into(),
            ));
        };
        let mut pushed = 0;
        for dir in fs::read_dir(&self.root)? {
            let dir = dir?;
            let head = dir.file_name().to_string_lossy().to_string();
            if head.len() != 2 || !dir.file_type()?.is_dir() {
                continue; // tmp/
            }
            for file in fs::read_dir(dir.path())? {
                let file = file?;
                let sha256 = format!("{head}{}", file.file_name().to_string_lossy());
                if self.local_path(&sha256).is_err() || bucket.contains(&sha256)? {
                    continue;
                }
                let mut hasher = Sha256::new();
                let size = io::copy(
                    &mut fs::File::open(file.path())?,
                    &mut HashWriter(&mut hasher),
                )?;
                if let Err(e) = verify_digest(&sha256, &hex::encode(hasher.finalize())) {
                    tracing::warn!(sha256, error = %e, "a local blob is corrupt; not uploaded");
                    continue;
                }
                bucket.upload(&sha256, &file.path(), size)?;
                pushed += 1;
            }
        }
        tracing::info!(pushed, "local blobs uploaded to the bucket");
        Ok(pushed)
    }

    /// The cache path of a digest: `ab/cdef…`, lower case.
    fn local_path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(BlobError::BadDigest(sha256.to_string()));
        }
        let lower = sha256.to_ascii_lowercase();
        Ok(self.root.join(&lower[..2]).join(&lower[2..]))
    }

    /// Downloads a blob into the cache at `dest`, hashing as it arrives; bytes that are not the
    /// blob are refused ([`BlobError::Corrupt`]) and never renamed into place. False when the
    /// bucket has no such blob.
    #[cfg(feature = "server")]
    #[tracing::instrument(skip(self, bucket, dest))]
    fn fetch(&self, bucket: &s3::Bucket, sha256: &str, dest: &Path) -> Result<bool, BlobError> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        let mut hasher = Sha256::new();
        let found = bucket.download(sha256, |chunk| {
            hasher.update(chunk);
            tmp.write_all(chunk)
        })?;
        if !found {
            return Ok(false);
        }
        verify_digest(sha256, &hex::encode(hasher.finalize()))?;
        tmp.as_file().sync_all()?;
        fs::create_dir_all(dest.parent().expect("blob paths have a parent"))?;
        tmp.persist(dest).map_err(|e| e.error)?;
        Ok(true)
    }

    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(sha256)?;
        fs::read(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BlobError::NotFound(sha256.to_string()),
            _ => BlobError::Io(e),
        })
    }

    /// True when the blob can be read here (with a bucket: after fetching it into the cache).
    pub fn exists(&self, sha256: &str) -> bool {
        match self.path_of(sha256) {
            Ok(path) => path.exists(),
            Err(e) => {
                if !matches!(e, BlobError::BadDigest(_)) {
                    tracing::warn!(sha256, error = %e, "blob not readable");
                }
                false
            }
        }
    }

    /// True when the store's directory can be written and, with a bucket, the bucket answers
    /// (used by `/health`).
    pub fn writable(&self) -> bool {
        let local = tempfile::NamedTempFile::new_in(self.root.join("tmp")).is_ok();
        #[cfg(feature = "server")]
        if let Some(bucket) = &self.bucket {
            // A lookup of a digest no blob has: "not found" is an answer, an error is not.
            return local && bucket.contains(&"0".repeat(64)).is_ok();
        }
        local
    }
}

/// Feeds what is written to a hasher (to hash a file with `io::copy`).
#[cfg(feature = "server")]
struct HashWriter<'a>(&'a mut Sha256);

#[cfg(feature = "server")]
impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Checks that fetched bytes are the blob they were fetched as.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
fn verify_digest(expected: &str, actual: &str) -> Result<(), BlobError> {
    if expected.eq_ignore_ascii_case(actual) {
        Ok(())
    } else {
        tracing::error!(
            sha256 = expected,
            actual,
            "a blob's bucket copy is corrupt; refused"
        );
        Err(BlobError::Corrupt {
            sha256: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_blob_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().join("blobs")).unwrap();
        let a = store.put_bytes(b"hello").unwrap();
        let b = store.put_bytes(b"hello").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let path = store.path_of(&a.sha256).unwrap();
        assert!(path.ends_with("2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
        assert_eq!(store.read(&a.sha256).unwrap(), b"hello");
        // Nothing is left behind in tmp/.
        assert_eq!(fs::read_dir(store.root().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn temp_files_of_a_killed_write_are_removed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let stale = tmp.join(".tmpKILLED");
        let fresh = tmp.join(".tmpWRITING");
        fs::write(&stale, b"half a video").unwrap();
        fs::write(&fresh, b"a write in progress").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        BlobStore::open(dir.path()).unwrap();
        assert!(!stale.exists(), "the killed write's temp file is gone");
        assert!(
            fresh.exists(),
            "a recent temp file may be another process's write in progress"
        );
    }

    #[test]
    fn bad_digests_and_missing_blobs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        assert!(matches!(
            store.path_of("../../etc/passwd"),
            Err(BlobError::BadDigest(_))
        ));
        let missing = "0".repeat(64);
        assert!(matches!(store.read(&missing), Err(BlobError::NotFound(_))));
    }

    #[test]
    fn fetched_bytes_must_hash_to_their_digest() {
        let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert!(verify_digest(sha, sha).is_ok());
        assert!(verify_digest(sha, &sha.to_ascii_uppercase()).is_ok());
        let other = hex::encode(Sha256::digest(b"hellO"));
        match verify_digest(sha, &other) {
            Err(BlobError::Corrupt { sha256, actual }) => {
                assert_eq!(sha256, sha);
                assert_eq!(actual, other);
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn a_failing_reader_leaves_no_blob() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk gone"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        assert!(store.put_reader(Failing(3)).is_err());
        let entries: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(
            entries.len(),
            1,
            "only tmp/ exists: no blob directory was created"
        );
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
