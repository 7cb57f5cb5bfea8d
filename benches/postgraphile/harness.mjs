// Helpers of compare.sh (plain Node >= 18, no packages needed except `pg` for the optional SQL
// check, which comes with postgraphile in node_modules):
//
//   node harness.mjs walk URL QUERY_FILE PAGES OUT.json   walk PAGES pages from the start, keep
//                                                         each page's request body and its rows
//   node harness.mjs check SHAPE OURS.json PG.json        same rows, same order, same values?
//                                                         (and the ids SQL gives, if DATABASE_URL)
//   node harness.mjs lua WALK.json OUT.lua                wrk script POSTing the walked bodies
//   node harness.mjs summary SHAPE RESULTS_FILE           medians of the rounds and the ratio
//
// The team's server and PostGraphile answer in different schemas; `rows` normalizes both to
// { id, title, category, code, institution, parent, status, ground, explanation, history }
// with numeric database ids, keeping only the fields the shape asks for.

import { readFileSync, writeFileSync } from "node:fs";

const [cmd, ...args] = process.argv.slice(2);

function die(msg) {
  console.error(`harness: ${msg}`);
  process.exit(1);
}

/** Database id of a global id: ours is base64url("Type:id"), PostGraphile's base64('["Type","id"]'). */
function rowId(gid) {
  const s = Buffer.from(gid, "base64url").toString("utf8");
  if (s.startsWith("[")) return Number(JSON.parse(s)[1]);
  const m = /^[A-Za-z]+:(\d+)$/.exec(s);
  if (!m) die(`unreadable id ${gid}`);
  return Number(m[1]);
}

const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);

function history(list) {
  return list.map((e) => ({
    id: rowId(e.id),
    from: e.fromStatus,
    to: e.toStatus,
    at: Date.parse(e.occurredAt),
    actor: e.actor,
  }));
}

/** The page's connection and its rows, normalized, for either server. */
function page(data) {
  if (has(data, "datasets")) {
    // The team's server.
    const c = data.datasets;
    return {
      c,
      rows: c.nodes.map((n) => {
        const r = { id: rowId(n.id), title: n.title };
        if (has(n, "category")) r.category = n.category;
        if (has(n.institution, "code")) r.code = n.institution.code;
        r.institution = n.institution.name;
        if (has(n.institution, "parent")) r.parent = n.institution.parent?.name ?? null;
        r.status = n.disclosure.status;
        const g = n.disclosure.ground;
        if (g === null || has(g, "ground")) r.ground = g?.ground ?? null;
        if (has(n.disclosure, "explanation")) r.explanation = n.disclosure.explanation;
        if (has(n, "history")) r.history = history(n.history);
        return r;
      }),
    };
  }
  // PostGraphile: a connection over datasets, or over disclosures with the dataset under each.
  const c = data.allDatasets ?? data.allDisclosures;
  if (!c) die(`unknown answer ${JSON.stringify(data).slice(0, 200)}`);
  return {
    c,
    rows: c.nodes.map((n) => {
      const d = n.datasetByDatasetId ?? n;
      const disc = n.datasetByDatasetId ? n : n.disclosureByDatasetId;
      const inst = d.institutionByInstitutionId;
      const r = { id: rowId(d.id), title: d.title };
      if (has(d, "category")) r.category = d.category;
      if (has(inst, "code")) r.code = inst.code;
      r.institution = inst.name;
      if (has(inst, "institutionByParentId")) r.parent = inst.institutionByParentId?.name ?? null;
      r.status = disc.status;
      if (has(disc, "ground")) r.ground = disc.ground;
      if (has(disc, "explanation")) r.explanation = disc.explanation;
      if (has(d, "disclosureEventsByDatasetId")) r.history = history(d.disclosureEventsByDatasetId.nodes);
      return r;
    }),
  };
}

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
  });
  const text = await res.text();
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    die(`${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (res.status !== 200 || v.errors) die(`${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return v.data;
}

async function walk(url, queryFile, pages, out) {
  const query = readFileSync(queryFile, "utf8");
  const bodies = [];
  const rows = [];
  let after = null;
  for (let i = 0; i < pages; i++) {
    const body = JSON.stringify({ query, variables: { after } });
    const p = page(await post(url, body));
    bodies.push(body);
    rows.push(...p.rows);
    if (!p.c.pageInfo.hasNextPage) break;
    after = p.c.pageInfo.endCursor;
  }
  writeFileSync(out, JSON.stringify({ url, queryFile, bodies, rows }));
  console.log(`  walked ${bodies.length} pages (${rows.length} rows) of ${url}`);
}

/** The WithholdingGround value of the team's schema is the stored code without its article prefix. */
function sameGround(ours, pg) {
  if (ours == null || pg == null) return ours == pg;
  return ours === pg || pg.endsWith(`_${ours}`);
}

async function check(shape, oursFile, pgFile) {
  const a = JSON.parse(readFileSync(oursFile, "utf8")).rows;
  const b = JSON.parse(readFileSync(pgFile, "utf8")).rows;
  const bad = [];
  if (a.length !== b.length) bad.push(`${a.length} rows from ours, ${b.length} from PostGraphile`);
  for (let i = 0; i < Math.min(a.length, b.length) && bad.length < 5; i++) {
    const x = { ...a[i] };
    const y = { ...b[i] };
    if (has(x, "ground")) {
      if (!sameGround(x.ground, y.ground)) bad.push(`row ${i}: ground ${x.ground} / ${y.ground}`);
      delete x.ground;
    }
    delete y.ground;
    for (const k of Object.keys(x)) {
      if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) {
        bad.push(`row ${i} (dataset ${x.id}): ${k} ${JSON.stringify(x[k])} / ${JSON.stringify(y[k])}`);
      }
    }
  }
  const url = process.env.DATABASE_URL;
  if (url) {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sql =
      shape === "withheld50"
        ? "SELECT dataset_id AS id FROM disclosure WHERE status = 'WITHHELD' ORDER BY dataset_id LIMIT $1"
        : "SELECT id FROM dataset ORDER BY id LIMIT $1";
    const ids = (await client.query(sql, [a.length])).rows.map((r) => Number(r.id));
    await client.end();
    if (JSON.stringify(ids) !== JSON.stringify(a.map((r) => r.id))) bad.push("ids differ from SQL's");
    else console.log(`  SQL gives the same ${ids.length} ids in the same order`);
  }
  if (bad.length) die(`${shape}: the two servers do not answer alike:\n  ${bad.join("\n  ")}`);
  const events = a.reduce((n, r) => n + (r.history?.length ?? 0), 0);
  console.log(
    `  ${shape}: same ${a.length} datasets in the same order (ids ${a[0]?.id}..${a.at(-1)?.id})` +
      (events ? `, same ${events} history events` : "") +
      `, same ${Object.keys(a[0] ?? {}).join(", ")}`,
  );
}

function lua(walkFile, out) {
  const { bodies } = JSON.parse(readFileSync(walkFile, "utf8"));
  // Long brackets whose level no body contains.
  let eq = "=";
  while (bodies.some((b) => b.includes(`]${eq}]`))) eq += "=";
  const table = bodies.map((b) => `  [${eq}[${b}]${eq}],`).join("\n");
  writeFileSync(
    out,
    `-- Generated by harness.mjs from ${walkFile}: POSTs the ${bodies.length} walked pages in turn,
-- each thread from its own offset, and prints one RESULT line when done.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local bodies = {
${table}
}

local n = 0
function setup(thread)
  thread:set("offset", n * 7)
  n = n + 1
end

local i
function init(args)
  i = offset or 0
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.2f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
`,
  );
}

function summary(shape, file) {
  // Lines: "<side> rps=.. p50_ms=.. p99_ms=.. requests=.. non2xx=.. socket_errors=.."
  const runs = { ours: [], pg: [] };
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [side, ...kv] = line.trim().split(/\s+/);
    if (!runs[side]) continue;
    runs[side].push(Object.fromEntries(kv.map((p) => p.split("=")).map(([k, v]) => [k, Number(v)])));
  }
  const median = (xs) => {
    const s = [...xs].sort((p, q) => p - q);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const m = {};
  for (const side of ["ours", "pg"]) {
    const r = runs[side];
    if (!r.length) die(`${shape}: no result for ${side}`);
    m[side] = {
      rps: median(r.map((x) => x.rps)),
      p99: median(r.map((x) => x.p99_ms)),
      p50: median(r.map((x) => x.p50_ms)),
      errors: r.reduce((n, x) => n + x.non2xx + x.socket_errors, 0),
      rounds: r.length,
    };
  }
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`\n${shape} (median of ${m.ours.rounds} rounds each)`);
  console.log(`  ${"".padEnd(13)}${"req/s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"errors".padStart(8)}`);
  for (const [side, name] of [["ours", "ours"], ["pg", "PostGraphile"]]) {
    const x = m[side];
    console.log(`  ${name.padEnd(13)}${f(x.rps).padStart(10)}${f(x.p50, 2).padStart(10)}${f(x.p99, 2).padStart(10)}${String(x.errors).padStart(8)}`);
  }
  console.log(
    `  ours/PostGraphile: req/s x${f(m.ours.rps / m.pg.rps, 2)}, p99 x${f(m.ours.p99 / m.pg.p99, 2)}` +
      " (req/s above 1 and p99 below 1 favour ours)",
  );
  if (m.ours.errors || m.pg.errors) console.log("  WARNING: some requests failed (non-2xx or socket errors)");
}

switch (cmd) {
  case "walk":
    await walk(args[0], args[1], Number(args[2]), args[3]);
    break;
  case "check":
    await check(args[0], args[1], args[2]);
    break;
  case "lua":
    lua(args[0], args[1]);
    break;
  case "summary":
    summary(args[0], args[1]);
    break;
  default:
    die("usage: walk URL QUERY PAGES OUT | check SHAPE OURS PG | lua WALK OUT | summary SHAPE FILE");
}
