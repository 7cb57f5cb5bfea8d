//! The two servers as child processes: started on free loopback ports, waited for, measured
//! from outside through `/proc/<pid>` (CPU time, peak resident memory), killed on drop.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running server.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `cmd` (its output appended to `log`), which must listen on `addr`, and waits until
    /// it is ready: `GET /readyz` answers 200 (ours listens while it starts), or, for a server
    /// without it (404), `GET /healthz` answers 200.
    pub async fn start(
        name: &'static str,
        mut cmd: Command,
        addr: SocketAddr,
        log: &Path,
        ready_within: Duration,
    ) -> anyhow::Result<Server> {
        let out = std::fs::File::create(log).with_context(|| format!("{}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let mut server = Server { name, addr, child };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "{name} exited with {status} before answering; see {}",
                    log.display()
                );
            }
            match crate::load::get(addr, "/readyz").await {
                Ok((200, _)) => return Ok(server),
                Ok((404, _))
                    if matches!(crate::load::get(addr, "/healthz").await, Ok((200, _))) =>
                {
                    return Ok(server);
                }
                _ => {}
            }
            if started.elapsed() > ready_within {
                bail!(
                    "{name} was not ready within {ready_within:?}; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU time used so far.
    pub fn cpu(&self) -> Duration {
        cpu_time(self.pid()).unwrap_or_default()
    }

    /// Resident memory now (VmRSS), in bytes.
    pub fn memory(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:").unwrap_or(0) * 1024
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    pub fn peak_memory(&self) -> u64 {
        status_kib(self.pid(), "VmHWM:").unwrap_or(0) * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address (bound and released; the child binds it a moment later).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// utime + stime of a process, from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second() as f64,
    ))
}

/// A `kB` line of `/proc/<pid>/status`.
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
