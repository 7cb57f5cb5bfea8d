//! What async-graphql itself costs per request: the page shapes' answers, taken once from our
//! server, resolved again from memory by a schema of the same field names and arguments (no
//! database, no loaders, no HTTP), and checked equal to the server's answer before timing.
//! The time per execution is what the executor, the field resolvers' plumbing and the
//! response's serialization cost for that shape with the async-graphql version in use.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, Enum, InputObject, Object, Schema,
    SimpleObject,
};
use serde::Deserialize;
use serde_json::json;

use crate::load::Conn;
use crate::shapes;
use crate::shapes::ask;

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Parent {
    name: String,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Institution {
    #[serde(default)]
    code: String,
    name: String,
    parent: Option<Parent>,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Ground {
    #[serde(default)]
    ground: String,
    label: String,
    #[serde(default)]
    legal_provision: Option<String>,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Disclosure {
    status: String,
    ground: Option<Ground>,
    #[serde(default)]
    explanation: Option<String>,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    from_status: Option<String>,
    to_status: String,
    occurred_at: String,
    actor: String,
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(complex, rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Dataset {
    id: String,
    title: String,
    #[serde(default)]
    category: String,
    institution: Institution,
    disclosure: Disclosure,
    #[graphql(skip)]
    #[serde(default)]
    history: Vec<Event>,
}

#[ComplexObject]
impl Dataset {
    async fn history(&self, first: Option<i32>) -> &[Event] {
        &self.history[..self.history.len().min(first.unwrap_or(20) as usize)]
    }
}

#[derive(SimpleObject, Deserialize, Clone)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Connection {
    page_info: PageInfo,
    nodes: Vec<Dataset>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
enum DisclosureStatus {
    Withheld,
}

#[derive(InputObject)]
struct DatasetFilter {
    status: Option<Vec<DisclosureStatus>>,
}

struct Query(Connection);

#[Object]
impl Query {
    async fn datasets(
        &self,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DatasetFilter>,
    ) -> &Connection {
        let _ = (first, after, filter);
        &self.0
    }
}

/// A schema extension that does nothing (its default hooks only).
struct NoOp;

impl async_graphql::extensions::ExtensionFactory for NoOp {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(NoOp)
    }
}

impl async_graphql::extensions::Extension for NoOp {}

/// The executor's cost for one shape.
pub struct Cost {
    pub key: &'static str,
    pub version: String,
    /// Whether the schema had one (do-nothing) extension.
    pub extension: bool,
    /// Median time of one execution, in microseconds.
    pub micros: f64,
    pub items: usize,
}

/// The lock file as it was when this benchmark was compiled.
const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));

/// The async-graphql version this benchmark was built with (from the lock file it was compiled
/// with, so a copied binary still tells the truth).
fn version() -> String {
    let mut lines = LOCK.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"async-graphql\""
            && let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = "))
        {
            return v.trim_matches('"').to_string();
        }
    }
    "unknown".into()
}

/// Measures the page shapes against our server at `addr`.
pub async fn measure(addr: SocketAddr) -> anyhow::Result<Vec<Cost>> {
    let mut out = Vec::new();
    let version = version();
    for (key, query) in [
        ("page100", shapes::PAGE100),
        ("withheld50", shapes::WITHHELD50),
    ] {
        let mut conn = Conn::open(addr).await?;
        let answer = ask(&mut conn, &shapes::ours(query, &json!({ "after": null }))).await?;
        let data = answer["data"].clone();
        let conn_value: Connection = serde_json::from_value(data["datasets"].clone())
            .with_context(|| format!("{key}: reading our answer"))?;
        let items = conn_value.nodes.len();
        // Plain, and with one do-nothing schema extension (as our server has one, for error
        // codes and limits): any extension sends every field through the extension chain.
        for with_extension in [false, true] {
            let mut builder =
                Schema::build(Query(conn_value.clone()), EmptyMutation, EmptySubscription);
            if with_extension {
                builder = builder.extension(NoOp);
            }
            let schema = builder.finish();
            let request = || async_graphql::Request::new(query);
            let first = schema.execute(request()).await;
            if !first.errors.is_empty() {
                bail!("{key}: {:?}", first.errors);
            }
            let mine = serde_json::to_value(&first.data)?;
            if mine != data {
                bail!("{key}: the in-memory answer differs from the server's");
            }
            // Batches of executions, each serialized as the server does; the median batch.
            let mut per_batch = Vec::new();
            let batch = 50;
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline || per_batch.len() < 5 {
                let t = Instant::now();
                for _ in 0..batch {
                    let r = schema.execute(request()).await;
                    let bytes = serde_json::to_vec(&r)?;
                    std::hint::black_box(bytes);
                }
                per_batch.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
            }
            per_batch.sort_by(|a, b| a.total_cmp(b));
            let micros = per_batch[per_batch.len() / 2];
            let how = if with_extension {
                " with one extension"
            } else {
                ""
            };
            println!(
                "  async-graphql {version} alone{how}, {key}: {micros:.0} µs per request ({items} items)"
            );
            out.push(Cost {
                key,
                version: version.clone(),
                extension: with_extension,
                micros,
                items,
            });
        }
    }
    Ok(out)
}
