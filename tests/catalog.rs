//! The in-memory catalog against the plain SQL it replaces.
//!
//! A property test applies a seeded random sequence of changes through the real domain functions
//! (disclosure changes, registrations, edits, institution upserts, requests filed and decided,
//! imports of slices of the real inventory) and, after each step, with the catalog caught up,
//! compares every figure with the SQL reference in `domain::datasets` and `domain::stats`:
//! totals, all facets, stats figures, and pages in every ordering walked with cursors both ways,
//! for random filters and searches (text, institution names, labels, one-character terms); and
//! every institution's figures (held, open, withheld, partially open, national core, standard)
//! against its record.
//! A second test shows that another instance's catalog on the same database catches up.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{Backend, TestDb, backends, with_fixture};
use entity::enums::{
    Category, DatasetType, DisclosureStatus, InstitutionKind, Role, WithholdingGround,
};
use inventory::catalog::{self, Catalog, Selection};
use inventory::domain::datasets::{
    self as list, ALL_FACETS, DatasetQuery, Filter, Order, PageRequest, Search,
};
use inventory::domain::disclosure::Change;
use inventory::domain::{registry, stats, workflow};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{DatabaseConnection, Iterable, TransactionTrait};

const ORDERS: [Order; 6] = [
    Order::Relevance,
    Order::Id,
    Order::Title,
    Order::RegisteredNewest,
    Order::ModifiedNewest,
    Order::MostViewed,
];

/// Words for titles, keywords and searches: common ones, so searches hit.
const WORDS: &[&str] = &[
    "버스",
    "정류장",
    "미세먼지",
    "대기질",
    "정보",
    "현황",
    "교통",
    "주차장",
    "환경",
    "측정",
    "공개",
    "비공개",
    "서울",
    "학교",
    "병원",
    "COVID-19",
    "C++",
    "open",
    "data",
    "지하철",
];

fn some<T: Clone>(rng: &mut ChaCha8Rng, all: &[T]) -> Vec<T> {
    let n = rng.random_range(1..=all.len().min(3));
    all.choose_multiple(rng, n).cloned().collect()
}

fn maybe<T>(rng: &mut ChaCha8Rng, p: f64, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> Option<T> {
    if rng.random_bool(p) {
        Some(f(rng))
    } else {
        None
    }
}

fn day(rng: &mut ChaCha8Rng) -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).unwrap() + chrono::Days::new(rng.random_range(0..16 * 365))
}

async fn ids(db: &DatabaseConnection, sql: &str) -> Vec<i64> {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).unwrap())
        .collect()
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// A random search: words, pieces of real titles and institution names, labels, and sometimes a
/// one-character term beside a longer one.
async fn random_search(db: &DatabaseConnection, rng: &mut ChaCha8Rng) -> String {
    let titles = strings(db, "SELECT title FROM dataset ORDER BY id").await;
    let names = strings(db, "SELECT name FROM institution ORDER BY id").await;
    let mut terms = Vec::new();
    for _ in 0..rng.random_range(1..=2) {
        let t = match rng.random_range(0..5) {
            0 => WORDS.choose(rng).unwrap().to_string(),
            1 | 2 => {
                let chars: Vec<char> = titles.choose(rng).unwrap().chars().collect();
                let len = rng.random_range(2..=4).min(chars.len());
                let at = rng.random_range(0..=chars.len() - len);
                chars[at..at + len].iter().collect()
            }
            3 => {
                let chars: Vec<char> = names.choose(rng).unwrap().chars().collect();
                let len = rng.random_range(2..=3).min(chars.len());
                chars[..len].iter().collect()
            }
            _ => [
                "비공개",
                "환경",
                "파일",
                "withheld",
                "교통물류",
                "개인정보",
                "기타",
            ]
            .choose(rng)
            .unwrap()
            .to_string(),
        };
        terms.push(t);
    }
    if rng.random_bool(0.15) {
        terms.push(["버", "정", "a", "1"].choose(rng).unwrap().to_string());
    }
    terms.join(" ")
}

async fn random_query(db: &DatabaseConnection, rng: &mut ChaCha8Rng) -> DatasetQuery {
    let codes = strings(db, "SELECT code FROM institution ORDER BY id").await;
    let statuses: Vec<_> = DisclosureStatus::iter().collect();
    let grounds: Vec<_> = WithholdingGround::iter().collect();
    let categories: Vec<_> = Category::iter().collect();
    let types: Vec<_> = DatasetType::iter().collect();
    let kinds: Vec<_> = InstitutionKind::iter().collect();
    let p = 0.2;
    let filter = Filter {
        institution_codes: maybe(rng, p, |r| some(r, &codes)),
        include_sub_institutions: rng.random_bool(0.5),
        institution_kinds: maybe(rng, p, |r| some(r, &kinds)),
        categories: maybe(rng, p, |r| some(r, &categories)),
        types: maybe(rng, p, |r| some(r, &types)),
        statuses: maybe(rng, p, |r| some(r, &statuses)),
        grounds: maybe(rng, p, |r| some(r, &grounds)),
        national_core: maybe(rng, 0.1, |r| r.random_bool(0.5)),
        standard: maybe(rng, 0.1, |r| r.random_bool(0.5)),
        synthetic: maybe(rng, 0.1, |r| r.random_bool(0.5)),
        listed: maybe(rng, 0.15, |r| r.random_bool(0.5)),
        registered_from: maybe(rng, 0.1, day),
        registered_to: maybe(rng, 0.1, day),
        modified_from: maybe(rng, 0.1, day),
        modified_to: maybe(rng, 0.1, day),
        has_open_requests: maybe(rng, 0.15, |r| r.random_bool(0.5)),
    };
    let search = if rng.random_bool(0.5) {
        let s = random_search(db, rng).await;
        Search::parse(&s).ok().flatten()
    } else {
        None
    };
    DatasetQuery {
        filter,
        search,
        order: *ORDERS.choose(rng).unwrap(),
    }
}

/// Every figure of `q` from the catalog equals the SQL reference's; returns the total.
async fn compare(db: &DatabaseConnection, cat: &Catalog, q: &DatasetQuery, what: &str) -> u64 {
    let snap = cat.sync().await.unwrap();
    let sql_search = list::resolve(db, q.search.as_ref()).await.unwrap();
    let cat_search = Catalog::resolve(&snap, q.search.as_ref());
    let sel = Selection::new(&snap, &q.filter, cat_search.as_ref());
    let at = format!("{what}: {q:?}");
    let total = list::count(db, q, sql_search.as_ref()).await.unwrap();
    assert_eq!(sel.count(), total, "count, {at}");
    let groups = list::facet_groups(db, q, sql_search.as_ref())
        .await
        .unwrap();
    for f in ALL_FACETS {
        assert_eq!(
            sel.facet_counts(&snap, *f),
            list::facet_counts(&groups, &q.filter, *f),
            "facet {f:?}, {at}"
        );
        assert_eq!(
            sel.totals_by(&snap, *f),
            list::totals_by(&groups, &q.filter, *f),
            "totals by {f:?}, {at}"
        );
    }
    let top = |v: Vec<stats::InstitutionTotals>| {
        v.into_iter()
            .map(|t| {
                (
                    t.institution_id,
                    t.total,
                    t.open,
                    t.withheld,
                    t.national_core,
                    t.standard,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        top(catalog::stats::top_institutions(&snap, &sel.all, 100)),
        top(stats::top_institutions(db, q, sql_search.as_ref(), 100)
            .await
            .unwrap()),
        "top institutions, {at}"
    );
    for (from, to) in [
        (None, None),
        (NaiveDate::from_ymd_opt(2023, 1, 1), None),
        (
            NaiveDate::from_ymd_opt(2021, 3, 1),
            NaiveDate::from_ymd_opt(2024, 6, 30),
        ),
    ] {
        assert_eq!(
            catalog::stats::openings_per_month(&snap, &sel.all, from, to),
            stats::openings_per_month(db, q, sql_search.as_ref(), from, to)
                .await
                .unwrap(),
            "openings {from:?}..{to:?}, {at}"
        );
    }
    // Figures over requests, in SQL, scoped by the catalog's ids or by the SQL subquery.
    let ids = catalog::stats::requested_ids(&snap, &sel.all);
    let by_ids = stats::Scope::Ids(&ids);
    let by_sql = stats::Scope::Sql(sql_search.as_ref());
    let demand = |v: Vec<stats::Demand>| {
        v.into_iter()
            .map(|d| (d.dataset_id, d.requests, d.supporters))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        demand(stats::most_demanded_in(db, q, by_ids, 100).await.unwrap()),
        demand(stats::most_demanded_in(db, q, by_sql, 100).await.unwrap()),
        "most demanded, {at}"
    );
    assert_eq!(
        stats::request_states_in(db, q, by_ids).await.unwrap(),
        stats::request_states_in(db, q, by_sql).await.unwrap(),
        "request states, {at}"
    );
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let turnaround = |t: stats::Turnaround| {
        (
            t.decided,
            t.within_deadline,
            t.overdue,
            t.long_overdue,
            t.average_days.map(|d| (d * 1e6).round()),
        )
    };
    assert_eq!(
        turnaround(stats::turnaround_in(db, q, by_ids, today).await.unwrap()),
        turnaround(stats::turnaround_in(db, q, by_sql, today).await.unwrap()),
        "turnaround, {at}"
    );
    compare_pages(db, &snap, &sel, q, sql_search.as_ref(), &at).await;
    total
}

/// Every institution's figures in the catalog (what the institution list orders by) equal its
/// record, counted in SQL: datasets held, open, withheld, partially open, national core and
/// standard.
async fn compare_institution_figures(db: &DatabaseConnection, cat: &Catalog, at: &str) {
    let snap = cat.sync().await.unwrap();
    let insts = ids(db, "SELECT id FROM institution ORDER BY id").await;
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let records = inventory::domain::institutions::records(db, &insts, today)
        .await
        .unwrap();
    let mut holding = 0;
    for id in insts {
        let r = &records[&id];
        let status = |s: &str| {
            r.by_status
                .iter()
                .find(|(k, _)| k == s)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        let sql = catalog::institutions::Figures {
            held: r.by_status.iter().map(|(_, n)| n).sum(),
            open: status("OPEN"),
            withheld: status("WITHHELD"),
            partially_open: status("PARTIALLY_OPEN"),
            national_core: r.national_core,
            standard: r.standard,
        };
        assert_eq!(
            catalog::institutions::figures_of(&snap, id),
            sql,
            "institution {id}, {at}"
        );
        holding += usize::from(sql.held > 0 && sql.national_core + sql.standard > 0);
    }
    assert!(holding > 0, "no institution holds flagged data, {at}");
}

/// Pages in `q`'s order, forward from the start and backward from the end, with cursors.
async fn compare_pages(
    db: &DatabaseConnection,
    snap: &catalog::Snapshot,
    sel: &Selection,
    q: &DatasetQuery,
    sql_search: Option<&list::ResolvedSearch>,
    at: &str,
) {
    for backward in [false, true] {
        let mut req = PageRequest {
            size: 7,
            backward,
            ..Default::default()
        };
        for n in 0..4 {
            let mine = catalog::page::page(snap, q, &sel.all, &req).unwrap();
            let theirs = list::page(db, q, sql_search, &req).await.unwrap();
            let theirs_rows: Vec<_> = theirs.rows.iter().map(|(p, m)| (p.clone(), m.id)).collect();
            assert_eq!(mine.rows, theirs_rows, "page {n} backward={backward}, {at}");
            assert_eq!(
                (mine.has_previous, mine.has_next),
                (theirs.has_previous, theirs.has_next),
                "page {n} flags, {at}"
            );
            let next = if backward {
                theirs.rows.first()
            } else {
                theirs.rows.last()
            };
            let Some((p, _)) = next else { break };
            if backward {
                req.before = Some(p.clone());
            } else {
                req.after = Some(p.clone());
            }
            // Both cursors at once on the second page: the window between them.
            if n == 1 && !backward {
                let mut window = req.clone();
                window.before = theirs.rows.first().map(|(p, _)| p.clone());
                window.after = theirs_rows.first().map(|(p, _)| p.clone());
                let mine = catalog::page::page(snap, q, &sel.all, &window).unwrap();
                let theirs = list::page(db, q, sql_search, &window).await.unwrap();
                let ids: Vec<i64> = theirs.rows.iter().map(|(_, m)| m.id).collect();
                assert_eq!(
                    mine.rows.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
                    ids,
                    "window, {at}"
                );
            }
        }
    }
}

/// Rows of the real inventory from `from` on (its header first), written to a file in `dir`.
fn slice_of_real_file(
    text: &str,
    dir: &std::path::Path,
    from: usize,
    n: usize,
) -> std::path::PathBuf {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut out = format!("{header}\n");
    for l in lines.skip(from).take(n) {
        out.push_str(l);
        out.push('\n');
    }
    let path = dir.join(format!("slice-{from}-{n}.csv"));
    std::fs::write(&path, out).unwrap();
    path
}

struct World {
    now: chrono::DateTime<Utc>,
    citizen: workflow::Caller,
    actor_account: i64,
    real: String,
    dir: tempfile::TempDir,
}

/// One random change through the domain functions; returns what it did.
async fn random_change(t: &TestDb, w: &mut World, rng: &mut ChaCha8Rng) -> String {
    let db = &t.db;
    w.now += chrono::Duration::hours(rng.random_range(1..200));
    let now = w.now;
    let datasets = ids(db, "SELECT id FROM dataset ORDER BY id").await;
    let insts = ids(db, "SELECT id FROM institution ORDER BY id").await;
    let codes = strings(db, "SELECT code FROM institution ORDER BY id").await;
    let cal = inventory::domain::deadlines::Deadlines::default();
    let txn = inventory::db::begin_write(db).await.unwrap();
    let what = match rng.random_range(0..100) {
        0..30 => {
            let id = *datasets.choose(rng).unwrap();
            let version = ids(
                db,
                &format!("SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = {id}"),
            )
            .await
            .first()
            .copied()
            .unwrap_or(1);
            let status = *[
                DisclosureStatus::Open,
                DisclosureStatus::Withheld,
                DisclosureStatus::PartiallyOpen,
                DisclosureStatus::UnderReview,
                DisclosureStatus::ScheduledToOpen,
            ]
            .choose(rng)
            .unwrap();
            let withheld = matches!(
                status,
                DisclosureStatus::Withheld | DisclosureStatus::PartiallyOpen
            );
            let grounds: Vec<_> = WithholdingGround::iter().collect();
            let c = Change {
                status,
                ground: withheld.then(|| *grounds.choose(rng).unwrap()),
                explanation: Some("사유".into()),
                mitigation: vec![],
                planned_open_on: Some(inventory::clock::seoul_date(now) + chrono::Days::new(30)),
                next_review_on: Some(inventory::clock::seoul_date(now) + chrono::Days::new(90)),
            };
            let r = inventory::domain::disclosure::apply(
                &txn,
                id,
                version as i32,
                &c,
                "test",
                None,
                now,
            )
            .await;
            format!("change disclosure of {id} to {status:?}: {}", r.is_ok())
        }
        30..45 => {
            let words: Vec<&str> = WORDS.choose_multiple(rng, 3).copied().collect();
            let statuses = [DisclosureStatus::Open, DisclosureStatus::Withheld];
            let mut d = common::withheld_dataset(*insts.choose(rng).unwrap(), &words.join(" "));
            d.disclosure.status = *statuses.choose(rng).unwrap();
            if d.disclosure.status == DisclosureStatus::Open {
                d.disclosure.ground = None;
            }
            d.keywords = vec![WORDS.choose(rng).unwrap().to_string()];
            d.description = format!("{} 설명", WORDS.choose(rng).unwrap());
            d.category = *Category::iter().collect::<Vec<_>>().choose(rng).unwrap();
            let r = registry::register_dataset(&txn, d, "test", w.actor_account, now).await;
            format!("register: {}", r.is_ok())
        }
        45..57 => {
            let id = *datasets.choose(rng).unwrap();
            let e = registry::DatasetEdit {
                title: maybe(rng, 0.6, |r| {
                    WORDS
                        .choose_multiple(r, 2)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("")
                }),
                description: maybe(rng, 0.3, |r| WORDS.choose(r).unwrap().to_string()),
                category: maybe(rng, 0.3, |r| {
                    *Category::iter().collect::<Vec<_>>().choose(r).unwrap()
                }),
                dataset_type: maybe(rng, 0.2, |r| {
                    *DatasetType::iter().collect::<Vec<_>>().choose(r).unwrap()
                }),
                keywords: maybe(rng, 0.3, |r| vec![WORDS.choose(r).unwrap().to_string()]),
                format: None,
                listed: maybe(rng, 0.3, |r| r.random_bool(0.5)),
            };
            let r = registry::update_dataset(&txn, id, e, "test", None, now).await;
            format!("update {id}: {}", r.is_ok())
        }
        57..67 => {
            let code = codes.choose(rng).unwrap().clone();
            let i = registry::InstitutionInput {
                code: if rng.random_bool(0.2) {
                    format!("T{}", rng.random_range(0..50))
                } else {
                    code.clone()
                },
                name: format!("{}{}청", WORDS.choose(rng).unwrap(), rng.random_range(0..9)),
                name_en: maybe(rng, 0.5, |r| format!("Agency {}", r.random_range(0..9))),
                kind: maybe(rng, 0.5, |r| {
                    *InstitutionKind::iter()
                        .collect::<Vec<_>>()
                        .choose(r)
                        .unwrap()
                }),
                parent_code: maybe(rng, 0.4, |r| codes.choose(r).unwrap().clone()),
                parent_confirmed: rng.random_bool(0.5),
            };
            let r = registry::upsert_institution(&txn, i, "test", now).await;
            format!("upsert institution {code}: {}", r.is_ok())
        }
        67..85 => {
            let closed = ids(
                db,
                "SELECT dataset_id FROM disclosure WHERE status <> 'OPEN' ORDER BY dataset_id",
            )
            .await;
            let id = *closed.choose(rng).unwrap_or(&datasets[0]);
            let r = workflow::file(&txn, &w.citizen, Some(id), None, "연구", &cal, now).await;
            format!("file a request for {id}: {:?}", r.map(|r| r.id))
        }
        85..95 => {
            let open = ids(
                db,
                "SELECT id FROM data_request WHERE state IN ('RECEIVED', 'EXTENDED') ORDER BY id",
            )
            .await;
            match open.choose(rng) {
                None => "no request to decide".into(),
                Some(rid) => {
                    let inst = ids(
                        db,
                        &format!("SELECT institution_id FROM data_request WHERE id = {rid}"),
                    )
                    .await[0];
                    let officer = workflow::Caller {
                        account_id: w.actor_account,
                        role: Role::Officer,
                        scope: vec![inst],
                        label: "officer:test".into(),
                    };
                    let decision = *[
                        workflow::Decision::Provided,
                        workflow::Decision::Refused,
                        workflow::Decision::NotHeld,
                    ]
                    .choose(rng)
                    .unwrap();
                    let action = workflow::Action::Decide {
                        decision,
                        ground: Some(WithholdingGround::BusinessSecret),
                        wording: Some("결정".into()),
                    };
                    let r = workflow::act(&txn, &officer, *rid, action, &cal, now).await;
                    format!(
                        "decide request {rid} {decision:?}: {:?}",
                        r.map(|r| r.state)
                    )
                }
            }
        }
        _ => {
            txn.rollback().await.unwrap();
            let from = rng.random_range(0..2_000);
            let n = rng.random_range(50..300);
            let path = slice_of_real_file(&w.real, w.dir.path(), from, n);
            let opts = inventory::import::ImportOptions::default();
            let r = inventory::import::import_file(db, &path, &opts, now).await;
            return format!(
                "import rows {from}..{}: {:?}",
                from + n,
                r.map(|r| r.to_string())
            );
        }
    };
    txn.commit().await.unwrap();
    what
}

async fn world(t: &TestDb) -> World {
    let citizen = ids(
        &t.db,
        "SELECT id FROM account WHERE role = 'CITIZEN' ORDER BY id",
    )
    .await[0];
    let officer = ids(&t.db, "SELECT id FROM account ORDER BY id").await[0];
    let real = {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(common::real_inventory()).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    World {
        // After the fixture's own history (its last opening is in December 2025), so every
        // change here is the latest of its dataset's history.
        now: Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap(),
        citizen: workflow::Caller {
            account_id: citizen,
            role: Role::Citizen,
            scope: vec![],
            label: format!("citizen:{citizen}"),
        },
        actor_account: officer,
        real,
        dir: tempfile::tempdir().unwrap(),
    }
}

#[tokio::test]
async fn catalog_equals_sql_after_every_random_change() {
    let steps: usize = std::env::var("CATALOG_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for b in backends().await {
        let t = with_fixture(b).await;
        let seed = std::env::var("CATALOG_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(11);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // How many compared lists were not empty, and how many of those searched.
        let (mut nonempty, mut found) = (0, 0);
        // Whether some review date set by the changes put an entry in the queue.
        let mut queue_grew = false;
        let mut w = world(&t).await;
        let cat = Catalog::new(t.db.clone());
        // A first import, so real rows (and their institutions) are there from the start.
        let path = slice_of_real_file(&w.real, w.dir.path(), 0, 400);
        inventory::import::import_file(&t.db, &path, &Default::default(), w.now)
            .await
            .unwrap();
        for step in 0..steps {
            let what = random_change(&t, &mut w, &mut rng).await;
            println!("{b:?} step {step}: {what}");
            compare_institution_figures(&t.db, &cat, &format!("{b:?} step {step} ({what})")).await;
            let overdue =
                compare_review_queues(&t.db, &cat, w.now, &format!("{b:?} step {step} ({what})"))
                    .await;
            queue_grew |= overdue;
            let everything = DatasetQuery::default();
            compare(
                &t.db,
                &cat,
                &everything,
                &format!("{b:?} step {step} ({what}), everything"),
            )
            .await;
            for k in 0..6 {
                let q = random_query(&t.db, &mut rng).await;
                let n = compare(
                    &t.db,
                    &cat,
                    &q,
                    &format!("{b:?} step {step} ({what}), query {k}"),
                )
                .await;
                if n > 0 {
                    nonempty += 1;
                    found += usize::from(q.search.is_some());
                }
            }
        }
        // The random lists were not trivially empty, searches included.
        assert!(
            nonempty >= steps && found >= steps / 4,
            "{b:?}: only {nonempty} non-empty lists, {found} with a search"
        );
        assert!(queue_grew, "{b:?}: no review date ever came due");
        // Every change was applied piecemeal or by reloading: a fresh load agrees.
        let fresh = Catalog::new(t.db.clone());
        let (a, b2) = (cat.sync().await.unwrap(), fresh.load().await.unwrap());
        assert_eq!(a.position, b2.position);
        assert_eq!(a.alive.len(), b2.alive.len());
        let requests = common::count(&t.db, "SELECT COUNT(*) FROM data_request").await;
        assert!(
            requests > 5,
            "{b:?}: the sequence filed requests ({requests})"
        );
        // The history kept up with every change, listing included (the fixture's own versions
        // and PROVIDED request break two other rules, see tests/registry.rs).
        let r = inventory::check::check(&t.db).await.unwrap();
        for rule in [
            inventory::check::rules::DISCLOSURE_PRESENT,
            inventory::check::rules::HISTORY_PRESENT,
            inventory::check::rules::DISCLOSURE_IS_LAST_EVENT,
            inventory::check::rules::LISTING_IS_LAST_EVENT,
            inventory::check::rules::HISTORY_CHAIN,
            inventory::check::rules::OUTBOX_GAPLESS,
            inventory::check::rules::SEARCH_TEXT,
            inventory::check::rules::CATALOG_FIGURES,
        ] {
            assert!(r.violation(rule).is_none(), "{b:?}: {r}");
        }
        let delistings = common::count(
            &t.db,
            "SELECT COUNT(*) FROM disclosure_event WHERE from_listed = TRUE AND listed = FALSE",
        )
        .await;
        assert!(delistings > 0, "{b:?}: the sequence delisted datasets");
        t.cleanup().await;
    }
}

/// The review queue of the catalog moved forward change by change is the one of a catalog
/// loaded afresh (entries, reasons, days, order, count), today and 100 days on, when the review
/// dates the changes set (90 days ahead) have passed. Says whether the later queue is longer.
async fn compare_review_queues(
    db: &DatabaseConnection,
    cat: &Catalog,
    now: chrono::DateTime<Utc>,
    what: &str,
) -> bool {
    let moved = cat.sync().await.unwrap();
    let fresh = Catalog::new(db.clone()).load().await.unwrap();
    let today = inventory::clock::seoul_date(now);
    let mut totals = Vec::new();
    for day in [today, today + chrono::Days::new(100)] {
        let a = catalog::review::page(&moved, None, day, None, 100);
        let b = catalog::review::page(&fresh, None, day, None, 100);
        assert_eq!(a.rows, b.rows, "{what}: review queue on {day}");
        assert_eq!(a.total, b.total, "{what}: review queue on {day}");
        assert_eq!(
            catalog::review::count(&moved, None, day),
            a.total,
            "{what}: {day}"
        );
        totals.push(a.total);
    }
    totals[1] > totals[0]
}

/// Another instance on the same database (its own pool and hub) follows the outbox and catches
/// up with changes made elsewhere; `wait_for` resolves once it has.
#[tokio::test]
async fn another_instance_catches_up() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let other_db = inventory::db::connect(&t.url).await.unwrap();
        let hub = inventory::hub::Hub::start(
            other_db.clone(),
            (b == Backend::Postgres).then(|| t.url.clone()),
            None,
        )
        .await
        .unwrap();
        let other = Catalog::new(other_db.clone());
        other.follow(&hub).await.unwrap();
        let before = other.current().unwrap();
        let withheld = |s: &catalog::Snapshot| {
            let q = Filter {
                statuses: Some(vec![DisclosureStatus::Withheld]),
                ..Default::default()
            };
            Selection::new(s, &q, None).count()
        };
        // A change made through this instance's connection.
        let id = ids(
            &t.db,
            "SELECT dataset_id FROM disclosure WHERE status = 'OPEN' ORDER BY dataset_id",
        )
        .await[0];
        let txn = t.db.begin().await.unwrap();
        let c = Change {
            status: DisclosureStatus::Withheld,
            ground: Some(WithholdingGround::BusinessSecret),
            explanation: Some("영업비밀".into()),
            mitigation: vec![],
            planned_open_on: None,
            next_review_on: None,
        };
        let version = ids(
            &t.db,
            &format!("SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = {id}"),
        )
        .await[0];
        inventory::domain::disclosure::apply(
            &txn,
            id,
            version as i32,
            &c,
            "test",
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        let position = inventory::catalog::load::position(&t.db).await.unwrap();
        assert!(position > before.position);
        assert!(
            other
                .wait_for(position, std::time::Duration::from_secs(10))
                .await,
            "{b:?}: the other instance did not catch up"
        );
        let after = other.read().await.unwrap();
        assert_eq!(withheld(&after), withheld(&before) + 1, "{b:?}");
        // Nothing moved the old snapshot.
        assert!(before.position < after.position);
        compare(
            &other_db,
            &other,
            &DatasetQuery::default(),
            &format!("{b:?} other instance"),
        )
        .await;
        other_db.close().await.unwrap();
        t.cleanup().await;
    }
}
