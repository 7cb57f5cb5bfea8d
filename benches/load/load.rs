//! The load generator: fixed concurrency over keep-alive HTTP/1.1 connections on loopback,
//! each request taken in turn from a pre-generated list, a latency recorded per request.
//!
//! A round runs for a fixed duration; requests in flight at its end are awaited (each bounded
//! by a time-out) and counted, and throughput is requests over the time to the last answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;

/// One prepared request.
#[derive(Clone, Debug)]
pub struct Req {
    pub path: String,
    pub body: Bytes,
    /// `Authorization` header, if any.
    pub auth: Option<Arc<str>>,
}

/// What one round measured.
#[derive(Debug, Default)]
pub struct Round {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Latencies of the successful requests, microseconds.
    pub latencies: Vec<u32>,
}

impl Round {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Conn {
    send: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { send })
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        auth: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.send.ready().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let req = req.body(Full::new(body))?;
        let resp = self.send.send_request(req).await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    pub async fn post(&mut self, r: &Req) -> anyhow::Result<(u16, Bytes)> {
        self.send(Method::POST, &r.path, r.body.clone(), r.auth.as_deref())
            .await
    }
}

/// One GET on a fresh connection.
pub async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, Bytes)> {
    Conn::open(addr)
        .await?
        .send(Method::GET, path, Bytes::new(), None)
        .await
}

/// Runs one round: `conns` connections, each sending the next request of `reqs` as soon as the
/// previous one is answered, until `duration` has passed.
pub async fn round(
    addr: SocketAddr,
    reqs: Arc<Vec<Req>>,
    conns: usize,
    duration: Duration,
    timeout: Duration,
) -> anyhow::Result<Round> {
    if reqs.is_empty() {
        bail!("no requests");
    }
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let reqs = reqs.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = Round::default();
            let mut conn = Conn::open(addr).await.context("connecting")?;
            let mut last = Instant::now();
            while Instant::now() < deadline {
                let req = &reqs[next.fetch_add(1, Ordering::Relaxed) % reqs.len()];
                let t = Instant::now();
                match tokio::time::timeout(timeout, conn.post(req)).await {
                    Ok(Ok((200, _))) => {
                        last = Instant::now();
                        r.ok += 1;
                        r.latencies
                            .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    Ok(Ok((status, body))) => {
                        r.errors += 1;
                        r.first_error.get_or_insert_with(|| {
                            format!(
                                "HTTP {status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            )
                        });
                        last = Instant::now();
                    }
                    Ok(Err(e)) => {
                        r.errors += 1;
                        r.first_error.get_or_insert_with(|| e.to_string());
                        conn = Conn::open(addr).await.context("reconnecting")?;
                    }
                    Err(_) => {
                        r.errors += 1;
                        r.first_error
                            .get_or_insert_with(|| format!("no answer within {timeout:?}"));
                        break;
                    }
                }
            }
            r.elapsed = last.saturating_duration_since(start);
            anyhow::Ok(r)
        }));
    }
    let mut total = Round::default();
    for t in tasks {
        let r = t.await??;
        total.ok += r.ok;
        total.errors += r.errors;
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
        total.elapsed = total.elapsed.max(r.elapsed);
        total.latencies.extend(r.latencies);
    }
    total.latencies.sort_unstable();
    Ok(total)
}

/// A steady trickle of requests on one separate connection, one every `every` (or right after
/// the previous answer when that took longer), until `stop` says so; latencies in microseconds.
pub async fn probe(
    addr: SocketAddr,
    reqs: Arc<Vec<Req>>,
    every: Duration,
    stop: Arc<std::sync::atomic::AtomicBool>,
    timeout: Duration,
) -> anyhow::Result<Round> {
    let mut r = Round::default();
    let mut conn = Conn::open(addr).await?;
    let start = Instant::now();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let req = &reqs[k % reqs.len()];
        k += 1;
        let t = Instant::now();
        match tokio::time::timeout(timeout, conn.post(req)).await {
            Ok(Ok((200, _))) => {
                r.ok += 1;
                r.latencies
                    .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            Ok(Ok((status, body))) => {
                r.errors += 1;
                r.first_error.get_or_insert_with(|| {
                    format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )
                });
            }
            Ok(Err(e)) => {
                r.errors += 1;
                r.first_error.get_or_insert_with(|| e.to_string());
                conn = Conn::open(addr).await?;
            }
            Err(_) => {
                r.errors += 1;
                r.first_error
                    .get_or_insert_with(|| format!("no answer within {timeout:?}"));
                conn = Conn::open(addr).await?;
            }
        }
    }
    r.elapsed = start.elapsed();
    r.latencies.sort_unstable();
    Ok(r)
}

/// The q-quantile (0..=1) of sorted latencies, in milliseconds.
pub fn quantile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len()) - 1;
    sorted_us[k] as f64 / 1000.0
}
