//! The keys business tokens are derived with, kept outside the database.
//!
//! Only token hashes are stored, yet `fetch_only=true` must hand back the *existing* business
//! token, so business tokens are derived from a key rather than drawn at random. Whoever holds
//! the key and reads the database could re-derive every business token, so the key never goes
//! into the database: it comes from a file (created with owner-only permissions) or from the
//! environment, and an operator can rotate it.
//!
//! A key file holds one key per line, 64 hex digits, newest first; blank lines and lines
//! starting with `#` are ignored. New tokens are derived with the newest key; `fetch_only` finds
//! tokens derived with any listed key, so an older key stays listed until its tokens may be
//! minted anew.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Length of one key in bytes.
pub const KEY_BYTES: usize = 32;

/// Why keys could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("token key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not 64 hex digits (the line number is given, never the line).
    #[error("token keys: line {line} is not a 64-digit hex key")]
    Malformed {
        /// 1-based line number.
        line: usize,
    },
    /// No key was listed.
    #[error("token keys: no key listed")]
    Empty,
}

/// One derivation key. Its bytes are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey([u8; KEY_BYTES]);

impl TokenKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
        Self(bytes)
    }

    /// The key's bytes, for the derivation.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// A short public fingerprint (not the key), to tell keys apart in logs and events.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(self.0)[..4])
    }

    fn parse(text: &str) -> Option<Self> {
        let bytes = hex::decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey({})", self.fingerprint())
    }
}

/// Where the keys came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Generated at start and held in memory only: tokens minted before a restart cannot be
    /// fetched afterwards (they stay valid; `fetch_only` mints a new one).
    Ephemeral,
    /// Read from this file.
    File(PathBuf),
    /// Given in the environment.
    Environment,
}

/// The business-token keys, newest first.
#[derive(Debug, Clone)]
pub struct TokenKeys {
    keys: Vec<TokenKey>,
    source: KeySource,
}

impl Default for TokenKeys {
    /// An ephemeral key.
    fn default() -> Self {
        Self::ephemeral()
    }
}

impl TokenKeys {
    /// One fresh key held in memory only.
    pub fn ephemeral() -> Self {
        Self {
            keys: vec![TokenKey::generate()],
            source: KeySource::Ephemeral,
        }
    }

    /// Parses keys listed one per line (or separated by commas), newest first.
    pub fn parse(text: &str, source: KeySource) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for item in line.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                keys.push(TokenKey::parse(item).ok_or(KeyError::Malformed { line: index + 1 })?);
            }
        }
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self { keys, source })
    }

    /// Reads the key file at `path`, creating it with one fresh key (readable by its owner
    /// only) when it does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, KeySource::File(path.to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = TokenKey::generate();
                match write_new(path, &render(std::slice::from_ref(&key))) {
                    Ok(()) => Ok(Self {
                        keys: vec![key],
                        source: KeySource::File(path.to_owned()),
                    }),
                    // Another process created it first: theirs wins.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(path).map_err(io)?;
                        Self::parse(&text, KeySource::File(path.to_owned()))
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Puts a fresh key at the top of the key file at `path` (created if missing), keeping
    /// the older keys listed so their tokens can still be fetched. Returns the keys now listed.
    pub fn rotate_file(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let mut keys = match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, KeySource::File(path.to_owned()))?.keys,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        keys.insert(0, TokenKey::generate());
        // Written beside the file and renamed over it, so a reader never sees half a file.
        let staging = path.with_extension("rotating");
        let _ = std::fs::remove_file(&staging);
        write_new(&staging, &render(&keys)).map_err(|e| KeyError::Io {
            path: staging.clone(),
            source: e,
        })?;
        std::fs::rename(&staging, path).map_err(io)?;
        Ok(Self {
            keys,
            source: KeySource::File(path.to_owned()),
        })
    }

    /// The key new tokens are derived with.
    pub fn current(&self) -> &TokenKey {
        &self.keys[0]
    }

    /// Every key, newest first.
    pub fn all(&self) -> &[TokenKey] {
        &self.keys
    }

    /// Where the keys came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }
}

fn render(keys: &[TokenKey]) -> String {
    let mut text = String::from(
        "# wamm business-token keys, newest first. Keep this file private and out of backups\n\
         # of the database; remove a line only when its tokens need not be fetched any more.\n",
    );
    for key in keys {
        text.push_str(&hex::encode(key.bytes()));
        text.push('\n');
    }
    text
}

/// Creates `path` (failing if it exists) readable and writable by its owner only.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys");
        let created = TokenKeys::open_or_create(&path).expect("created");
        let again = TokenKeys::open_or_create(&path).expect("read");
        assert_eq!(created.all(), again.all());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "group and others have no access: {mode:o}");
        }
    }

    #[test]
    fn rotation_puts_a_new_key_first_and_keeps_the_old() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys");
        let first = TokenKeys::open_or_create(&path).expect("created");
        let rotated = TokenKeys::rotate_file(&path).expect("rotated");
        assert_eq!(rotated.all().len(), 2);
        assert_ne!(rotated.current(), first.current());
        assert_eq!(&rotated.all()[1], first.current());
        let reread = TokenKeys::open_or_create(&path).expect("read");
        assert_eq!(reread.all(), rotated.all());
    }

    #[test]
    fn malformed_lines_are_refused_without_echoing_them() {
        let err = TokenKeys::parse("# c\n\nzz-secret\n", KeySource::Environment)
            .expect_err("a malformed line");
        assert!(matches!(err, KeyError::Malformed { line: 3 }));
        assert!(!err.to_string().contains("secret"));
        assert!(matches!(
            TokenKeys::parse("# only a comment\n", KeySource::Environment),
            Err(KeyError::Empty)
        ));
        let two = format!("{},{}", "ab".repeat(32), "cd".repeat(32));
        assert_eq!(
            TokenKeys::parse(&two, KeySource::Environment)
                .expect("two keys")
                .all()
                .len(),
            2
        );
    }

    #[test]
    fn debug_shows_a_fingerprint_not_the_key() {
        let keys = TokenKeys::parse(&"ab".repeat(32), KeySource::Environment).expect("key");
        let text = format!("{keys:?}");
        assert!(!text.contains(&"ab".repeat(8)), "{text}");
    }
}
