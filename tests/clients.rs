//! Real clients against a real server on a free port, from Node.js: the GraphQL-over-HTTP audit
//! (`graphql-http`'s `auditServer`: every MUST and SHOULD). The Node packages come from
//! `tests/clients/package-lock.json` through the npm registry (`npm ci`, run here on first use).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{backends, with_demo};

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Installs the client packages once per test run.
fn installed() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = clients_dir();
        if !dir.join("node_modules/graphql-http").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("the client tests need Node.js 20+ and npm on the PATH");
            assert!(status.success(), "npm ci in {} failed", dir.display());
        }
        dir
    })
}

async fn start(
    db: &sea_orm::DatabaseConnection,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = inventory::AppState::new(
        db.clone(),
        std::sync::Arc::new(inventory::clock::SystemClock),
    );
    tokio::spawn(inventory::run(listener, state, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    let dir = installed();
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let (addr, stop) = start(&t.db).await;
        let out = tokio::process::Command::new("node")
            .arg("audit.mjs")
            .arg(format!("http://{addr}/graphql"))
            .current_dir(dir)
            .output()
            .await
            .expect("node");
        let report = String::from_utf8_lossy(&out.stdout);
        println!("{b:?}:\n{report}{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{b:?}: the audit failed:\n{report}");
        assert!(
            report.lines().filter(|l| l.starts_with("ok")).count() >= 30,
            "{report}"
        );
        let _ = stop.send(());
        t.cleanup().await;
    }
}
