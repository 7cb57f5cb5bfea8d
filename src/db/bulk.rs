//! Inserting many rows at once (imports, the demo build): one JSON parameter per statement,
//! unpacked by the database.
//!
//! SeaORM's `insert_many` binds every value separately: each goes through `sea_query::Value`,
//! the SQL text with one placeholder per value, and the driver's argument buffer, several
//! allocations per value. At hundreds of thousands of rows of 26 columns that was most of an
//! import. Here the rows travel as one JSON text per statement and the database turns it into
//! rows in C:
//!
//! - PostgreSQL: `json_populate_recordset(NULL::table, $1)`, rows as objects keyed by column,
//!   each value converted by the column's own type;
//! - SQLite: `jsonb_each(?)`, rows as arrays, read by position (`value ->> k`) from the binary
//!   form, so each row is parsed once.
//!
//! Values are written in exactly the form the driver would store them (SQLite keeps dates and
//! timestamps as text: `%Y-%m-%d`, and RFC 3339 with `+00:00` as sqlx writes it), so rows
//! inserted here and rows inserted by SeaORM cannot be told apart (but for the spacing of a
//! PostgreSQL `json` column's text, which keeps what it was given); `tests/bulk.rs` checks it.

use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait,
    IdenStatic, Iterable, Statement,
};

/// JSON bytes per statement, about: large enough that statements are few, small enough that
/// neither database holds a huge parameter.
const BATCH_BYTES: usize = 8 << 20;

/// Inserts `rows` into their table and returns how many were written. The columns written are
/// those set in the first row (an unset `id` is left to the database); every row must set the
/// same ones.
pub async fn insert<A, C>(db: &C, rows: &[A]) -> Result<u64, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    let backend = db.get_database_backend();
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| first.get(*c).is_set())
        .collect();
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let table = A::Entity::default().table_name().to_string();
    let sql = statement(backend, &table, &names);
    let mut batch: Vec<u8> = Vec::new();
    let mut in_batch = 0u64;
    let mut written = 0u64;
    for row in rows {
        batch.push(if batch.is_empty() { b'[' } else { b',' });
        push_row(&mut batch, backend, row, &columns, &names)?;
        in_batch += 1;
        if batch.len() >= BATCH_BYTES {
            written += flush(db, &sql, &mut batch, &mut in_batch).await?;
        }
    }
    written += flush(db, &sql, &mut batch, &mut in_batch).await?;
    Ok(written)
}

/// The largest id in `table`, 0 when it is empty (explicit ids of a bulk load start after it).
pub async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

/// The `INSERT … SELECT` unpacking one JSON parameter into `table`'s `columns`.
fn statement(backend: DbBackend, table: &str, columns: &[&str]) -> String {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    match backend {
        DbBackend::Postgres => format!(
            "INSERT INTO \"{table}\" ({list}) SELECT {list} \
             FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
        ),
        _ => {
            let values = (0..columns.len())
                .map(|k| format!("value ->> {k}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("INSERT INTO \"{table}\" ({list}) SELECT {values} FROM jsonb_each(?)")
        }
    }
}

/// Appends one row: an object keyed by column on PostgreSQL, an array on SQLite.
fn push_row<A: ActiveModelTrait>(
    out: &mut Vec<u8>,
    backend: DbBackend,
    row: &A,
    columns: &[<A::Entity as EntityTrait>::Column],
    names: &[&str],
) -> Result<(), DbErr> {
    let postgres = backend == DbBackend::Postgres;
    out.push(if postgres { b'{' } else { b'[' });
    for (k, (c, name)) in columns.iter().zip(names).enumerate() {
        if k > 0 {
            out.push(b',');
        }
        if postgres {
            push_str(out, name);
            out.push(b':');
        }
        let value = match row.get(*c) {
            ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
            ActiveValue::NotSet => {
                return Err(DbErr::Custom(format!(
                    "bulk insert into {}: column {name} is set in the first row but not in a later one",
                    A::Entity::default().table_name()
                )));
            }
        };
        push_value(out, backend, &value)?;
    }
    out.push(if postgres { b'}' } else { b']' });
    Ok(())
}

/// Appends one value as JSON, in the form the driver would store it.
fn push_value(out: &mut Vec<u8>, backend: DbBackend, value: &Value) -> Result<(), DbErr> {
    use std::io::Write;
    fn num(out: &mut Vec<u8>, v: Option<impl std::fmt::Display>) {
        match v {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.extend_from_slice(b"null"),
        }
    }
    match value {
        Value::Bool(v) => num(out, *v),
        Value::TinyInt(v) => num(out, *v),
        Value::SmallInt(v) => num(out, *v),
        Value::Int(v) => num(out, *v),
        Value::BigInt(v) => num(out, *v),
        Value::TinyUnsigned(v) => num(out, *v),
        Value::SmallUnsigned(v) => num(out, *v),
        Value::Unsigned(v) => num(out, *v),
        Value::BigUnsigned(v) => num(out, *v),
        Value::String(v) => match v {
            Some(s) => push_str(out, s),
            None => out.extend_from_slice(b"null"),
        },
        Value::Char(v) => match v {
            Some(c) => push_str(out, c.encode_utf8(&mut [0; 4])),
            None => out.extend_from_slice(b"null"),
        },
        Value::Enum(v) => match v {
            OptionEnum::Some(e) => push_str(out, &e.value),
            OptionEnum::None(_) => out.extend_from_slice(b"null"),
        },
        Value::ChronoDate(v) => match v {
            Some(d) => push_str(out, &d.format("%Y-%m-%d").to_string()),
            None => out.extend_from_slice(b"null"),
        },
        Value::ChronoDateTimeUtc(v) => match v {
            // What sqlx writes on SQLite. PostgreSQL keeps microseconds: sqlx sends them
            // truncated, while the text form would be rounded, so truncate first.
            Some(t) if backend == DbBackend::Postgres => push_str(
                out,
                &chrono::SubsecRound::trunc_subsecs(*t, 6)
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            ),
            Some(t) => push_str(
                out,
                &t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            ),
            None => out.extend_from_slice(b"null"),
        },
        Value::Json(v) => match v {
            // PostgreSQL's `json` column takes the value itself; SQLite stores its text.
            Some(j) if backend == DbBackend::Postgres => {
                serde_json::to_writer(&mut *out, j).map_err(|e| DbErr::Json(e.to_string()))?
            }
            Some(j) => push_str(out, &j.to_string()),
            None => out.extend_from_slice(b"null"),
        },
        other => {
            return Err(DbErr::Custom(format!(
                "bulk insert: values like {other:?} are not supported"
            )));
        }
    }
    Ok(())
}

/// Appends `s` as a JSON string.
fn push_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing a string to a Vec cannot fail");
}

/// Sends one batch.
async fn flush<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    batch: &mut Vec<u8>,
    in_batch: &mut u64,
) -> Result<u64, DbErr> {
    if batch.is_empty() {
        return Ok(0);
    }
    batch.push(b']');
    // Only whole JSON values (UTF-8 strings, ASCII punctuation) were written.
    let json = String::from_utf8(std::mem::take(batch))
        .map_err(|e| DbErr::Custom(format!("bulk insert: {e}")))?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [json.into()],
    ))
    .await?;
    Ok(std::mem::take(in_batch))
}
