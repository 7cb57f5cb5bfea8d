//! The real `inventory` binary as a server process: started on a free port with its log in a
//! file (so JSON lines, standard error not being a terminal), its address read from the log,
//! waited for until `/readyz` is 200, and stopped with SIGTERM.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running server process.
pub struct Server {
    pub child: Child,
    pub addr: std::net::SocketAddr,
    pub log: PathBuf,
}

/// Starts `inventory serve` on `database_url` on a free loopback port, with `env` set and
/// `args` after `serve`, the log going to `log`; returns once the address is logged.
pub fn start(database_url: &str, log: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let file = std::fs::File::create(log).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inventory"));
    cmd.arg("serve")
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .env_remove("INVENTORY_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut server = Server {
        child: cmd.spawn().unwrap(),
        addr: ([0, 0, 0, 0], 0).into(),
        log: log.to_path_buf(),
    };
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                && let Some(a) = v["fields"]["addr"].as_str()
            {
                server.addr = a.parse().unwrap();
                return server;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server logged no address:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Server {
    /// Waits until `/readyz` is 200.
    pub fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            if let Ok((200, _, _)) = try_http(self.addr, "GET", "/readyz", None, None) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "not ready: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to exit, at most `bound`.
    pub fn wait_exit(&mut self, bound: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if started.elapsed() > bound {
                let _ = self.child.kill();
                panic!(
                    "no exit within {bound:?}:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`): status, lower-cased head and
/// the body with chunking decoded. An error when the connection fails or the response is cut
/// (a short body, a chunked body without its last chunk).
pub fn try_http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let cut = |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string());
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| cut("no complete head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let mut rest = &raw[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| cut("no status"))?;
    let mut out = Vec::new();
    if head.contains("transfer-encoding: chunked") {
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| cut("chunk size cut"))?;
            let size_hex = String::from_utf8_lossy(&rest[..eol]).to_string();
            let size = usize::from_str_radix(size_hex.split(';').next().unwrap().trim(), 16)
                .map_err(|_| cut("bad chunk size"))?;
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            if rest.len() < size + 2 {
                return Err(cut("chunk cut"));
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    } else if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|l| l.trim().parse::<usize>().ok())
    {
        if rest.len() < len {
            return Err(cut("body shorter than content-length"));
        }
        out.extend_from_slice(&rest[..len]);
    } else {
        out.extend_from_slice(rest);
    }
    Ok((status, head, out))
}

/// A GraphQL POST on a new connection; the JSON answer.
pub fn graphql(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    query: &str,
    vars: serde_json::Value,
) -> serde_json::Value {
    let body = serde_json::json!({ "query": query, "variables": vars }).to_string();
    let (_, _, out) = try_http(addr, "POST", "/graphql", Some(&body), token).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// Runs `inventory` with `args` on `database_url`; its standard output, trimmed.
pub fn cli(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
