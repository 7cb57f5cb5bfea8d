//! The binary itself: `export-schema` prints the committed schema; bad input fails clearly.

use std::process::Command;

#[test]
fn export_schema_prints_the_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .arg("export-schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        inventory::graphql::sdl()
    );
}

#[test]
fn importing_a_missing_file_fails_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = inventory::config::sqlite_url(&dir.path().join("x.db"));
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["import", "/nonexistent/inventory.csv"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/inventory.csv"), "{err}");
}

/// A tiny HTTP/1.1 client over loopback: status, headers (lower-cased names) and body, with
/// chunked bodies decoded.
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let mut rest = &raw[split + 4..];
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut out = Vec::new();
    if head.contains("transfer-encoding: chunked") {
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size_hex = String::from_utf8_lossy(&rest[..eol]);
            let size =
                usize::from_str_radix(size_hex.split(';').next().unwrap().trim(), 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    } else {
        out.extend_from_slice(rest);
    }
    (status, head, String::from_utf8(out).unwrap())
}

/// Every `src` and `href` attribute value of an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut v = Vec::new();
    for attr in ["src=", "href="] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(end) = rest[1..].find(q) {
                v.push(rest[1..1 + end].to_string());
            }
        }
    }
    v
}

/// The new user's path: `serve` in an empty folder without DATABASE_URL creates
/// ./data/inventory.db, builds the demo, and answers on loopback: health, GraphiQL with only
/// local assets, and a query over the demo inventory.
#[test]
fn serve_in_an_empty_folder_answers_with_the_demo() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["serve", "--demo-scale", "0.002", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("BIND")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Forward the log lines, so the pipe never fills, and find the address it listens on.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        match rx.recv_timeout(std::time::Duration::from_secs(180)) {
            Ok(line) => {
                if let Some(i) = line.find("serving GraphQL at http://") {
                    let rest = &line[i + "serving GraphQL at http://".len()..];
                    break rest[..rest.find("/graphql").unwrap()].to_string();
                }
                log.push(line);
            }
            Err(e) => {
                let _ = child.kill();
                panic!("serve never reported its address ({e}): {}", log.join("\n"));
            }
        }
    };
    let result = std::panic::catch_unwind(|| {
        assert!(
            dir.path().join("data/inventory.db").is_file(),
            "no ./data/inventory.db in the working directory"
        );

        let (status, _, body) = http(&addr, "GET", "/healthz", None);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"ok\""), "{body}");
        assert!(body.contains("sqlite"), "{body}");

        let (status, head, page) = http(&addr, "GET", "/", None);
        assert_eq!(status, 200);
        assert!(head.contains("text/html"), "{head}");
        assert!(page.contains("graphiql"), "not GraphiQL: {page}");
        let refs = links(&page);
        assert!(refs.iter().any(|r| r.ends_with(".js")), "{refs:?}");
        for r in &refs {
            assert!(
                !r.starts_with("http:") && !r.starts_with("https:") && !r.starts_with("//"),
                "GraphiQL loads {r} from outside"
            );
            if r.starts_with('/') {
                let (status, _, _) = http(&addr, "GET", r, None);
                assert_eq!(status, 200, "{r}");
            }
        }

        let q = serde_json::json!({
            "query": "{ datasets(first: 3) { totalCount nodes { title synthetic } } }"
        })
        .to_string();
        let (status, _, body) = http(&addr, "POST", "/graphql", Some(&q));
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(v.get("errors").is_none(), "{v}");
        let total = v["data"]["datasets"]["totalCount"].as_i64().unwrap();
        assert!(total > 500, "{v}");
        let nodes = v["data"]["datasets"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3, "{v}");
        assert!(nodes.iter().all(|n| n["synthetic"] == true), "{v}");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn serve_help_documents_every_setting_with_its_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "DATABASE_URL",
        "BIND",
        "TRUST_FORWARDED_FOR",
        "INVENTORY_OUTBOX_POLL_MS",
        "INVENTORY_HOLIDAYS",
        "INVENTORY_DEADLINE_DAYS",
        "INVENTORY_SILENCE_IS_REFUSAL",
        "INVENTORY_REQUEST_TIMEOUT_SECS",
        "INVENTORY_RATE_LIMIT",
        "INVENTORY_RATE_LIMIT_ANONYMOUS",
        "INVENTORY_RATE_LIMIT_TOKEN",
    ] {
        assert!(
            help.contains(&format!("[env: {var}=")),
            "{var} missing:\n{help}"
        );
    }
    for flag in ["--demo-scale", "--no-demo", "--bind"] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}
