//! Import of the portal's inventory CSV (`import <FILE>`).
//!
//! The whole import runs in one write transaction: rows that cannot be read are reported with
//! their line and skipped, but an error that stops the import (I/O, database) rolls everything
//! back, so the database is exactly as it was. Re-importing the same file changes nothing; a newer
//! file updates what changed, records former institution names, and marks datasets that are no
//! longer in the file as delisted (never deleted).
//!
//! What an import leaves alone: an institution whose parent an admin confirmed (or confirmed it
//! has none) keeps it, the import guesses parents only of the others that have none; a dataset
//! an officer delisted stays delisted when it is back in the file (only datasets an import
//! delisted are listed again). Every delisting and relisting is a history event and goes to
//! the feed ([`crate::domain::listing`]), written in bulk.

pub mod reader;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use entity::enums::{DisclosureStatus, Provenance};
use entity::{dataset, disclosure, disclosure_event, import_run, institution, institution_name};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter,
};

use crate::domain::{institutions, listing, text};
use crate::events::{DisclosureChanged, Event, Imported};
use crate::{db, demo, events};
pub use reader::{Rejection, Row, Warning};

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Delete the synthetic demo inventory first (otherwise an import into it is refused).
    pub drop_demo: bool,
    /// Report progress: a bar on a terminal, a line per batch otherwise.
    pub progress: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub file_name: String,
    pub encoding: &'static str,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub delisted: usize,
    /// Datasets an import had delisted, back in this file and listed again.
    pub relisted: usize,
    /// Datasets in this file that an officer delisted: they stay delisted.
    pub kept_delisted: usize,
    pub institutions_created: usize,
    pub institutions_renamed: usize,
    pub rejected: Vec<Rejection>,
    pub warnings: Vec<Warning>,
    pub demo_dropped: bool,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} rows ({}) — inserted {}, updated {}, unchanged {}, delisted {}, relisted {}, kept delisted {}, rejected {}, warnings {}; institutions created {}, renamed {}",
            self.file_name,
            self.rows,
            self.encoding,
            self.inserted,
            self.updated,
            self.unchanged,
            self.delisted,
            self.relisted,
            self.kept_delisted,
            self.rejected.len(),
            self.warnings.len(),
            self.institutions_created,
            self.institutions_renamed
        )
    }
}

/// Why an import stopped (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Format(#[from] reader::FormatError),
    #[error(
        "the database holds the synthetic demo inventory ({0} fictional datasets); importing real data into it would mix the two. Run the import again with --drop-demo to delete the demo first"
    )]
    DemoPresent(u64),
    #[error(
        "the synthetic demo inventory cannot be dropped: real data depends on it ({}). Nothing was changed; move or delete those rows first, or import into a new database",
        .0.iter().map(|(what, n)| format!("{n} {what}")).collect::<Vec<_>>().join(", ")
    )]
    DemoInUse(Vec<(&'static str, i64)>),
    #[error("database error, nothing was imported: {0}")]
    Db(#[from] DbErr),
}

/// Progress reporting: an indicatif bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    total: u64,
}

impl Progress {
    fn new(enabled: bool, total: u64) -> Self {
        use std::io::IsTerminal;
        if !enabled {
            return Self {
                bar: None,
                lines: false,
                total,
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:40}] {pos}/{len} rows ({eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message("importing");
            Self {
                bar: Some(bar),
                lines: false,
                total,
            }
        } else {
            Self {
                bar: None,
                lines: true,
                total,
            }
        }
    }

    fn set(&self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        } else if self.lines {
            eprintln!("import: {done}/{} rows", self.total);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Imports a portal inventory file.
pub async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    opts: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let mut phases = Phases::default();
    let decoded = reader::read_file(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let parsed = reader::parse(&decoded.text)?;
    phases.mark("read", started);
    let file_name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut report = ImportReport {
        file_name: file_name.clone(),
        encoding: decoded.encoding,
        rows: parsed.rows.len() + parsed.rejected.len(),
        rejected: parsed.rejected,
        warnings: parsed.warnings,
        ..Default::default()
    };

    let synthetic = demo::synthetic_datasets(db).await?;
    if synthetic > 0 && !opts.drop_demo {
        return Err(ImportError::DemoPresent(synthetic));
    }
    let progress = Progress::new(opts.progress, parsed.rows.len() as u64);
    let txn = db::begin_write(db).await?;
    db::bulk_load_settings(&txn, true).await?;
    if synthetic > 0 {
        // Checked inside the transaction, so nothing can come to depend on the demo meanwhile.
        let blockers = demo::demo_dependents(&txn).await?;
        if !blockers.is_empty() {
            return Err(ImportError::DemoInUse(blockers));
        }
        demo::drop_demo(&txn).await?;
        report.demo_dropped = true;
    }

    let run = import_run::ActiveModel {
        id: NotSet,
        file_name: Set(file_name.clone()),
        sha256: Set(decoded.sha256.clone()),
        started_at: Set(now),
        finished_at: Set(now),
        inserted: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        delisted: Set(0),
        rejected: Set(0),
        warnings: Set(0),
    }
    .insert(&txn)
    .await?;

    let inst_ids = upsert_institutions(&txn, &parsed.rows, &file_name, now, &mut report).await?;
    phases.mark("institutions", started);

    // Existing imported datasets, by portal key.
    let existing: HashMap<String, dataset::Model> = dataset::Entity::find()
        .filter(dataset::Column::PortalKey.is_not_null())
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|d| d.portal_key.clone().map(|k| (k, d)))
        .collect();
    let actor = format!("import:{file_name}");
    let mut in_file = HashSet::with_capacity(parsed.rows.len());
    let mut new_rows = Vec::new();
    // Delisted datasets that are in this file again.
    let mut back = Vec::new();
    for (k, row) in parsed.rows.iter().enumerate() {
        in_file.insert(row.key.as_str());
        let inst = inst_ids[&row.institution_code];
        match existing.get(&row.key) {
            None => new_rows.push(row_model(row, inst, &file_name, run.id, now)),
            Some(old) => {
                if !old.listed {
                    back.push(old.id);
                }
                if same_content(old, row, inst) {
                    report.unchanged += 1;
                } else {
                    updated_model(old, row, inst, &file_name, run.id, now)
                        .update(&txn)
                        .await?;
                    report.updated += 1;
                }
            }
        }
        if k % 10_000 == 9_999 {
            progress.set(k as u64 + 1);
        }
    }

    phases.mark("compare", started);
    // New datasets, in batches, each with an OPEN disclosure and its initial history event,
    // which also goes to the change feed. Rows are written by `db::bulk` (a few parameters per
    // statement), which returns the ids the database gave.
    let mut feed = Vec::new();
    let abort_after = abort_after_batches();
    for (batch, chunk) in new_rows.chunks(INSERT_BATCH).enumerate() {
        if abort_after == Some(batch) {
            eprintln!(
                "import: aborting after {batch} insert batches ({ABORT_AFTER_BATCHES_VAR} is set)"
            );
            std::process::abort();
        }
        let mut inserted: Vec<NewDataset> =
            db::bulk::insert_returning(&txn, chunk, "id, institution_id, category, registered_on")
                .await?;
        inserted.sort_by_key(|d| d.id);
        let discs: Vec<_> = inserted
            .iter()
            .map(|d| disclosure::ActiveModel {
                dataset_id: Set(d.id),
                status: Set(DisclosureStatus::Open),
                ground: Set(None),
                legal_basis: Set(None),
                explanation: Set(None),
                mitigation: Set(String::new()),
                planned_open_on: Set(None),
                next_review_on: Set(None),
                version: Set(1),
                updated_at: Set(now),
            })
            .collect();
        db::bulk::insert(&txn, &discs).await?;
        let evs: Vec<_> = inserted
            .iter()
            .map(|d| disclosure_event::ActiveModel {
                id: NotSet,
                dataset_id: Set(d.id),
                from_status: Set(None),
                to_status: Set(DisclosureStatus::Open),
                ground: Set(None),
                explanation: Set(None),
                actor: Set(actor.clone()),
                actor_account_id: Set(None),
                occurred_at: Set(d
                    .registered_on
                    .map(|r| Utc.from_utc_datetime(&r.and_hms_opt(0, 0, 0).unwrap()))
                    .unwrap_or(now)),
                from_listed: Set(None),
                listed: Set(true),
            })
            .collect();
        let mut written: Vec<disclosure_event::Model> =
            db::bulk::insert_returning(&txn, &evs, "*").await?;
        written.sort_by_key(|e| e.id);
        let by_id: HashMap<i64, &NewDataset> = inserted.iter().map(|d| (d.id, d)).collect();
        for e in written {
            let d = by_id[&e.dataset_id];
            feed.push(Event::Disclosure(DisclosureChanged::of(
                &e,
                d.institution_id,
                d.category,
            )));
        }
        report.inserted += inserted.len();
        progress.set((report.unchanged + report.updated + report.inserted) as u64);
    }

    phases.mark("insert", started);
    // Imported datasets no longer in the file are delisted, never deleted; those an import
    // delisted are listed again when they are back. Each is a history and a feed event.
    let mut gone: Vec<i64> = existing
        .values()
        .filter(|d| {
            d.provenance == Provenance::Imported
                && d.listed
                && !in_file.contains(d.portal_key.as_deref().unwrap_or(""))
        })
        .map(|d| d.id)
        .collect();
    gone.sort_unstable();
    let delisting = listing::ListingChange {
        actor: &actor,
        actor_account_id: None,
        explanation: Some(format!("no longer in the portal file {file_name}")),
    };
    let delisted = listing::set_listed(&txn, &gone, false, &delisting, now).await?;
    report.delisted = delisted.len();
    feed.extend(delisted);
    back.sort_unstable();
    let relist = listing::delisted_by_imports(&txn, &back).await?;
    let relisting = listing::ListingChange {
        actor: &actor,
        actor_account_id: None,
        explanation: Some(format!("back in the portal file {file_name}")),
    };
    let relisted = listing::set_listed(&txn, &relist, true, &relisting, now).await?;
    report.relisted = relisted.len();
    report.kept_delisted = back.len() - relist.len();
    feed.extend(relisted);

    let mut run: import_run::ActiveModel = run.into();
    run.inserted = Set(report.inserted as i64);
    run.updated = Set(report.updated as i64);
    run.unchanged = Set(report.unchanged as i64);
    run.delisted = Set(report.delisted as i64);
    run.rejected = Set(report.rejected.len() as i64);
    run.warnings = Set(report.warnings.len() as i64);
    run.finished_at = Set(now);
    let run = run.update(&txn).await?;
    feed.push(Event::Import(Imported {
        run_id: run.id,
        file: file_name.clone(),
        inserted: report.inserted,
        updated: report.updated,
        delisted: report.delisted,
        relisted: report.relisted,
    }));
    events::append(&txn, feed, now).await?;
    phases.mark("events", started);
    db::bulk_load_settings(&txn, false).await?;
    txn.commit().await?;
    phases.mark("commit", started);
    progress.finish();
    tracing::info!(rows = report.rows, "import took {phases}");
    Ok(report)
}

/// New datasets per batch (the abort hook counts these batches).
const INSERT_BATCH: usize = 10_000;

/// What the import needs of a dataset it has just inserted.
#[derive(Debug, FromQueryResult)]
struct NewDataset {
    id: i64,
    institution_id: i64,
    category: entity::enums::Category,
    registered_on: Option<chrono::NaiveDate>,
}

/// Elapsed time per phase of an import, for the log.
#[derive(Default)]
struct Phases {
    marks: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    /// Ends phase `name` now (phases are measured from `start`, one after the other).
    fn mark(&mut self, name: &'static str, start: std::time::Instant) {
        self.marks.push((name, start.elapsed()));
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut before = std::time::Duration::ZERO;
        for (k, (name, at)) in self.marks.iter().enumerate() {
            let sep = if k == 0 { "" } else { ", " };
            write!(f, "{sep}{name} {:.2} s", (*at - before).as_secs_f64())?;
            before = *at;
        }
        write!(f, " ({:.2} s in all)", before.as_secs_f64())
    }
}

/// Test hook: `INVENTORY_IMPORT_ABORT_AFTER_BATCHES=K` makes the process abort abruptly (no
/// unwinding, no rollback, as if killed) after K batches of new datasets were inserted inside
/// the import's transaction. Tests use it to prove that an interrupted import leaves the
/// database as it was. Not for production use.
pub const ABORT_AFTER_BATCHES_VAR: &str = "INVENTORY_IMPORT_ABORT_AFTER_BATCHES";

fn abort_after_batches() -> Option<usize> {
    std::env::var(ABORT_AFTER_BATCHES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
}

/// Creates missing institutions, renames those whose name changed under the same code (keeping
/// the former name), and guesses parents of local bodies from their names (unconfirmed), for
/// institutions without a parent whose link no admin confirmed (an admin's "no parent" stands).
async fn upsert_institutions(
    txn: &impl ConnectionTrait,
    rows: &[Row],
    file_name: &str,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<HashMap<String, i64>, DbErr> {
    let mut by_code: HashMap<String, institution::Model> = institution::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    let mut file_names: HashMap<&str, &str> = HashMap::new();
    for r in rows {
        file_names
            .entry(&r.institution_code)
            .or_insert(&r.institution_name);
    }
    let mut codes: Vec<_> = file_names.keys().copied().collect();
    codes.sort_unstable();
    for code in codes {
        let name = file_names[code];
        match by_code.get(code) {
            None => {
                let m = institution::ActiveModel {
                    id: NotSet,
                    code: Set(code.to_string()),
                    name: Set(name.to_string()),
                    name_en: Set(None),
                    kind: Set(institutions::kind_from_code(code)),
                    kind_overridden: Set(false),
                    parent_id: Set(None),
                    parent_confirmed: Set(false),
                    synthetic: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                report.institutions_created += 1;
                by_code.insert(code.to_string(), m);
            }
            Some(old) if old.name != name => {
                institution_name::ActiveModel {
                    id: NotSet,
                    institution_id: Set(old.id),
                    name: Set(old.name.clone()),
                    replaced_at: Set(now),
                    source: Set(format!("import:{file_name}")),
                }
                .insert(txn)
                .await?;
                let mut am: institution::ActiveModel = old.clone().into();
                am.name = Set(name.to_string());
                am.updated_at = Set(now);
                let m = am.update(txn).await?;
                report.institutions_renamed += 1;
                by_code.insert(code.to_string(), m);
            }
            Some(_) => {}
        }
    }
    // Parent guesses: "경기도 성남시" under "경기도", unconfirmed.
    let by_name: HashMap<&str, i64> = by_code.values().map(|i| (i.name.as_str(), i.id)).collect();
    let mut guesses = Vec::new();
    for i in by_code
        .values()
        .filter(|i| i.parent_id.is_none() && !i.parent_confirmed)
    {
        if let Some(parent) =
            institutions::guessed_parent_name(&i.name).and_then(|p| by_name.get(p))
            && *parent != i.id
        {
            guesses.push((i.id, *parent));
        }
    }
    for (child, parent) in guesses {
        institution::Entity::update_many()
            .col_expr(institution::Column::ParentId, parent.into())
            .col_expr(institution::Column::ParentConfirmed, false.into())
            .filter(institution::Column::Id.eq(child))
            .exec(txn)
            .await?;
    }
    Ok(by_code.into_iter().map(|(c, i)| (c, i.id)).collect())
}

fn row_model(
    row: &Row,
    institution_id: i64,
    file_name: &str,
    run_id: i64,
    now: DateTime<Utc>,
) -> dataset::ActiveModel {
    dataset::ActiveModel {
        id: NotSet,
        portal_key: Set(Some(row.key.clone())),
        title: Set(row.title.clone()),
        description: Set(row.description.clone()),
        institution_id: Set(institution_id),
        category: Set(row.category),
        dataset_type: Set(row.dataset_type),
        keywords: Set(String::new()),
        format: Set(None),
        national_core: Set(row.national_core),
        standard: Set(row.standard),
        licence: Set(None),
        update_frequency: Set(None),
        registered_on: Set(row.registered_on),
        modified_on: Set(row.modified_on),
        views: Set(row.views),
        downloads: Set(None),
        portal_url: Set(row.url.clone()),
        listed: Set(true),
        provenance: Set(Provenance::Imported),
        source_file: Set(Some(file_name.to_string())),
        import_run_id: Set(Some(run_id)),
        search_title: Set(text::search_title(&row.title, "")),
        search_body: Set(text::normalize(&row.description)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// An existing dataset with what the file says written over it: only the columns the portal
/// file carries change; keywords, format, licence, update frequency, downloads and provenance
/// (kept by officers or other sources) stay, and the search text is rebuilt with the kept
/// keywords.
fn updated_model(
    old: &dataset::Model,
    row: &Row,
    institution_id: i64,
    file_name: &str,
    run_id: i64,
    now: DateTime<Utc>,
) -> dataset::ActiveModel {
    let mut am: dataset::ActiveModel = old.clone().into();
    am.title = Set(row.title.clone());
    am.description = Set(row.description.clone());
    am.institution_id = Set(institution_id);
    am.category = Set(row.category);
    am.dataset_type = Set(row.dataset_type);
    am.national_core = Set(row.national_core);
    am.standard = Set(row.standard);
    am.registered_on = Set(row.registered_on);
    am.modified_on = Set(row.modified_on);
    am.views = Set(row.views);
    am.portal_url = Set(row.url.clone());
    am.source_file = Set(Some(file_name.to_string()));
    am.import_run_id = Set(Some(run_id));
    am.search_title = Set(text::search_title(&row.title, &old.keywords));
    am.search_body = Set(text::normalize(&row.description));
    am.updated_at = Set(now);
    am
}

/// Whether an imported row says nothing new about a stored dataset.
fn same_content(old: &dataset::Model, row: &Row, institution_id: i64) -> bool {
    old.title == row.title
        && old.description == row.description
        && old.institution_id == institution_id
        && old.category == row.category
        && old.dataset_type == row.dataset_type
        && old.national_core == row.national_core
        && old.standard == row.standard
        && old.registered_on == row.registered_on
        && old.modified_on == row.modified_on
        && old.views == row.views
        && old.portal_url == row.url
}
