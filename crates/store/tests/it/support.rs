//! Backends for the contract: in-memory SQLite, and a throwaway PostgreSQL database per test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};
use wamm_store::Store;

/// A fresh in-memory SQLite store.
pub async fn sqlite_memory() -> Arc<dyn Store> {
    wamm_store::connect("sqlite::memory:")
        .await
        .expect("open in-memory sqlite")
}

/// The maintenance database tests connect to in order to create their own.
fn admin_url() -> String {
    std::env::var("WAMM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A database created for one test, dropped when the test ends (pass or fail).
pub struct PgTestDb {
    /// The store on the test's database.
    pub store: Arc<dyn Store>,
    /// The test database's URL, for opening more stores on it.
    pub url: String,
    _scratch: PgScratch,
}

impl PgTestDb {
    /// Creates a uniquely named database and connects a store to it.
    ///
    /// Panics when PostgreSQL is unreachable: these tests never skip.
    pub async fn create() -> Self {
        let scratch = PgScratch::create().await;
        let url = scratch.url.clone();
        let store = wamm_store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open store on test database {url}: {e}"));
        Self {
            store,
            url,
            _scratch: scratch,
        }
    }
}

/// An empty database created for one test, with no schema, dropped when the test ends.
pub struct PgScratch {
    /// Its URL.
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgScratch {
    /// Creates a uniquely named, empty database.
    ///
    /// Panics when PostgreSQL is unreachable: these tests never skip.
    pub async fn create() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "wamm_store_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin_url = admin_url();
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin_url}: {e}. The store contract tests need a \
                 PostgreSQL server with trust auth (set WAMM_TEST_PG_URL to point elsewhere)."
            )
        });
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        Self {
            url,
            admin_url,
            name,
        }
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Async work cannot run in `drop` on the test's runtime: use a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
                admin.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

#[test]
fn replaces_the_database_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://h:5432/db?sslmode=disable", "x"),
        "postgres://h:5432/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
