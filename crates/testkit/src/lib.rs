//! Test support shared by the integration suites of several wamm crates.
//!
//! Only test code depends on this crate. It holds what more than one suite needs in the same
//! form: throwaway PostgreSQL databases, a webhook signature check written straight on the
//! `hmac` crate, independent of the code under test, and (feature `browser`) headless
//! Chromium driven over WebDriver, and (feature `conformance`) the check of Graph answers
//! against Meta's vendored OpenAPI spec.

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "conformance")]
pub mod conformance;

use std::sync::atomic::{AtomicU32, Ordering};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Connection as _;

/// The PostgreSQL server the suites use: `WAMM_TEST_PG_URL`, else the local one with trust
/// authentication.
pub fn pg_admin_url() -> String {
    std::env::var("WAMM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database created for one test. Drop it with [`TestDatabase::drop_now`].
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    /// Its connection URL.
    pub url: String,
}

impl TestDatabase {
    /// Creates a uniquely named database (`<prefix>_<pid>_<nanos>_<n>`); panics loudly when
    /// PostgreSQL is unreachable, so a suite never passes by skipping.
    pub async fn create(prefix: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = pg_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for this test and is unreachable at {admin}: {e} \
                 (start it, or set WAMM_TEST_PG_URL)"
                )
            });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_now(&self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// Asserts that `header` is `sha256=<hex HMAC-SHA256 of body keyed by secret>`, computed here
/// rather than by the platform's own signing code.
#[track_caller]
pub fn assert_hub_signature(header: Option<&str>, body: &[u8], secret: &str) {
    let header = header.expect("X-Hub-Signature-256 is sent");
    let hex_digest = header.strip_prefix("sha256=").expect("sha256= prefix");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    assert_eq!(
        hex_digest,
        hex::encode(mac.finalize().into_bytes()),
        "signature over the raw body"
    );
}
