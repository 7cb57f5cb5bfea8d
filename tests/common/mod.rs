//! Shared test harness: a fresh database per test, on every backend that answers.
//!
//! SQLite always runs (a fresh file in a temporary directory). PostgreSQL runs when
//! `TEST_POSTGRES_URL` names a server (an admin URL such as `postgres://postgres@127.0.0.1:5432/test`);
//! unset, the harness probes `postgres://postgres@127.0.0.1:5432/test` and uses it if it answers.
//! `TEST_POSTGRES=off` disables PostgreSQL. When `TEST_POSTGRES_URL` is set explicitly and the server
//! does not answer, tests fail instead of silently skipping it.
//!
//! Each PostgreSQL test gets its own database, created UTF-8 with an ICU Korean locale (so Hangul
//! counts as letters), and dropped when the test finishes.
#![allow(dead_code)]

pub mod api;
pub mod fixture;
pub mod process;
pub mod world;
pub mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::OnceCell;

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub db: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("inventory.db"))
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn cleanup(self) {
        let TestDb { db, pg_name, .. } = self;
        let _ = db.close().await;
        if let Some(name) = pg_name
            && let Ok(admin) = sea_orm::Database::connect(pg_admin_url().await.unwrap()).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    }
}

static PG: OnceCell<Option<String>> = OnceCell::const_new();

/// The PostgreSQL admin URL, if PostgreSQL runs in this test session.
pub async fn pg_admin_url() -> Option<String> {
    PG.get_or_init(|| async {
        if std::env::var("TEST_POSTGRES").is_ok_and(|v| v == "off" || v == "0") {
            return None;
        }
        let explicit = std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty());
        let url = explicit.clone().unwrap_or_else(|| DEFAULT_PG.to_string());
        let mut opts = sea_orm::ConnectOptions::new(url.clone());
        opts.connect_timeout(std::time::Duration::from_secs(3))
            .sqlx_logging(false);
        match sea_orm::Database::connect(opts).await {
            Ok(c) => {
                let _ = c.close().await;
                Some(url)
            }
            Err(e) if explicit.is_some() => panic!("TEST_POSTGRES_URL={url} does not answer: {e}"),
            Err(_) => None,
        }
    })
    .await
    .clone()
}

/// The backends this test run covers.
pub async fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if pg_admin_url().await.is_some() {
        v.push(Backend::Postgres);
    }
    v
}

/// A fresh, empty database on `backend`, not yet migrated.
pub async fn fresh_unmigrated(
    backend: Backend,
) -> (String, Option<tempfile::TempDir>, Option<String>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = inventory::config::sqlite_url(&dir.path().join("inventory.db"));
            (url, Some(dir), None)
        }
        Backend::Postgres => {
            let admin_url = pg_admin_url().await.expect("PostgreSQL not available");
            let name = format!(
                "invtest_{}_{:016x}",
                std::process::id(),
                rand::random::<u64>()
            );
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu \
                     ICU_LOCALE 'ko-KR' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                ))
                .await
                .unwrap();
            let _ = admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), None, Some(name))
        }
    }
}

/// A fresh, migrated database on `backend`.
pub async fn fresh(backend: Backend) -> TestDb {
    let (url, dir, pg_name) = fresh_unmigrated(backend).await;
    let db = inventory::db::connect_and_migrate(&url).await.unwrap();
    TestDb {
        backend,
        url,
        db,
        _dir: dir,
        pg_name,
    }
}

/// A fresh database on `backend` without even the schema; `db` is connected but not migrated.
pub async fn fresh_empty(backend: Backend) -> TestDb {
    let (url, dir, pg_name) = fresh_unmigrated(backend).await;
    let db = inventory::db::connect(&url).await.unwrap();
    TestDb {
        backend,
        url,
        db,
        _dir: dir,
        pg_name,
    }
}

/// A fresh database holding the demo at `scale`.
pub async fn with_demo(backend: Backend, scale: f64) -> TestDb {
    let t = fresh(backend).await;
    inventory::demo::build(&t.db, &inventory::demo::DemoOptions { scale, seed: 2023 })
        .await
        .unwrap();
    t
}

/// A fresh database holding the fixed read-API fixture.
pub async fn with_fixture(backend: Backend) -> TestDb {
    let t = fresh(backend).await;
    fixture::load(&t.db).await;
    t
}

/// A fresh database holding a small real import: every 50th row of the real inventory (1,227
/// open datasets of some 900 institutions), imported as `inventory import` does. No withheld
/// entry, no request, no plan: what a real import holds before anyone uses the API.
pub async fn with_real_sample(backend: Backend) -> TestDb {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(real_inventory()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    // The file has no newline inside a field, so lines are records.
    let sample: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 50 == 0)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.csv");
    std::fs::write(&path, sample).unwrap();
    let t = fresh(backend).await;
    inventory::import::import_file(&t.db, &path, &Default::default(), chrono::Utc::now())
        .await
        .unwrap();
    t
}

/// The real national inventory beside the repository (`../shared/data/…`).
pub fn real_inventory() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/data-go-kr-open-inventory-2022-06-30.csv.gz");
    assert!(
        p.exists(),
        "the real inventory is expected at {} (see README)",
        p.display()
    );
    p
}

/// An app state over `db` with a manual clock at the demo's "now".
pub fn state(db: &DatabaseConnection) -> inventory::AppState {
    let clock = Arc::new(inventory::clock::ManualClock::new(
        inventory::demo::demo_now(),
    ));
    inventory::AppState::new(db.clone(), clock)
}

/// The router over `db` with `clock` and no rate limit (for tests that page through whole lists
/// many times, more than one client's budget a minute).
pub fn app_without_rate_limit(
    db: &DatabaseConnection,
    clock: Arc<inventory::clock::ManualClock>,
) -> axum::Router {
    let config = inventory::config::Config {
        rate_limit: inventory::rate_limit::Settings {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    inventory::app(inventory::AppState::with_config(db.clone(), clock, config))
}

/// Sends a GraphQL POST through the router and returns the JSON response.
pub async fn gql(
    app: &axum::Router,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let bytes = gql_bytes(app, query, variables).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// Sends a GraphQL POST through the router and returns the response body as sent.
pub async fn gql_bytes(
    app: &axum::Router,
    query: &str,
    variables: serde_json::Value,
) -> axum::body::Bytes {
    use tower::ServiceExt;
    let body = serde_json::json!({ "query": query, "variables": variables });
    let req = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes()
}

/// A real server on a free loopback port over `state` (with its outbox hub and catalog, as
/// `serve` runs them), until the returned sender is used or dropped.
pub async fn serve(
    state: inventory::AppState,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(inventory::run(listener, state, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// A real server with the default configuration and the system clock over `db`.
pub async fn serve_db(
    db: &DatabaseConnection,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    serve(inventory::AppState::new(
        db.clone(),
        Arc::new(inventory::clock::SystemClock),
    ))
    .await
}

/// A token of a new officer of the institution with id `institution_id`.
pub async fn officer_token_of(db: &DatabaseConnection, institution_id: i64) -> String {
    inventory::auth::create_account(
        db,
        "officer",
        None,
        entity::enums::Role::Officer,
        Some(institution_id),
        "t",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .1
}

/// A token of a new officer of the institution with this code.
pub async fn officer_token(db: &DatabaseConnection, code: &str) -> String {
    let id = count(
        db,
        &format!("SELECT id FROM institution WHERE code = '{code}'"),
    )
    .await;
    officer_token_of(db, id).await
}

/// Counts of one table.
pub async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    use sea_orm::Statement;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// A dataset to register: withheld as a business secret, with `title` under `institution_id`.
pub fn withheld_dataset(
    institution_id: i64,
    title: &str,
) -> inventory::domain::registry::NewDataset {
    use entity::enums::{Category, DatasetType, DisclosureStatus, WithholdingGround};
    inventory::domain::registry::NewDataset {
        institution_id,
        title: title.into(),
        description: String::new(),
        category: Category::PublicAdministration,
        dataset_type: DatasetType::File,
        keywords: vec![],
        format: None,
        disclosure: inventory::domain::disclosure::Change {
            status: DisclosureStatus::Withheld,
            ground: Some(WithholdingGround::BusinessSecret),
            explanation: Some("영업비밀".into()),
            mitigation: vec![],
            planned_open_on: None,
            next_review_on: None,
        },
    }
}

/// Runs `inventory check` on `db` and fails the test with its report when any rule is broken.
pub async fn assert_consistent(db: &DatabaseConnection, what: &str) {
    let r = inventory::check::check(db).await.unwrap();
    assert!(r.ok(), "{what}: {r}");
    assert!(r.rules.len() >= 10, "{what}: only {:?} checked", r.rules);
}
