//! Inserting many rows at once (imports, the demo build): a few parameters per statement,
//! unpacked by the database.
//!
//! SeaORM's `insert_many` binds every value separately: each goes through `sea_query::Value`,
//! the SQL text with one placeholder per value, and the driver's argument buffer, several
//! allocations per value. At hundreds of thousands of rows of 26 columns that was most of an
//! import. Here the rows travel column-wise or as one text per statement and the database
//! turns them into rows in C:
//!
//! - PostgreSQL: one typed array per column, in the driver's binary format, read back with
//!   `unnest($1::int8[], $2::text[], …)`. A column with nulls in the batch gets a second,
//!   boolean array saying which (the driver cannot send a null inside an array), so nothing is
//!   parsed from text on the server: this took a third less of the server's time than unpacking
//!   the same rows from JSON (`json_populate_recordset`), measured in `psql`;
//! - SQLite: `jsonb_each(?)`, rows as JSON arrays, read by position (`value ->> k`) from the
//!   binary form, so each row is parsed once.
//!
//! Values are stored in exactly the form the driver would store them (SQLite keeps dates and
//! timestamps as text: `%Y-%m-%d`, and RFC 3339 with `+00:00` as sqlx writes it; PostgreSQL
//! gets the driver's own binary values), so rows inserted here and rows inserted by SeaORM
//! cannot be told apart; `tests/bulk.rs` checks it on both databases.

use sea_orm::sea_query::{ArrayType, OptionEnum, Value};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ColumnType, ConnectionTrait, DbBackend, DbErr,
    EntityName, EntityTrait, FromQueryResult, IdenStatic, Iterable, Statement,
};

/// JSON bytes per statement, about: large enough that statements are few, small enough that
/// neither database holds a huge parameter.
const BATCH_BYTES: usize = 8 << 20;

/// Rows per PostgreSQL statement.
const PG_BATCH_ROWS: usize = 10_000;

/// Inserts `rows` into their table and returns how many were written. The columns written are
/// those set in the first row (an unset `id` is left to the database); every row must set the
/// same ones.
pub async fn insert<A, C>(db: &C, rows: &[A]) -> Result<u64, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let mut batches = Batches::new(db.get_database_backend(), rows, None);
    let mut written = 0;
    while let Some(statement) = batches.next_statement()? {
        written += db.execute_raw(statement).await?.rows_affected();
    }
    Ok(written)
}

/// As [`insert`], and returns the columns `returning` (SQL, e.g. `id, dataset_id`) of every row
/// written, in the order written.
pub async fn insert_returning<A, C, R>(db: &C, rows: &[A], returning: &str) -> Result<Vec<R>, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
    R: FromQueryResult,
{
    let mut batches = Batches::new(db.get_database_backend(), rows, Some(returning));
    let mut out = Vec::with_capacity(rows.len());
    while let Some(statement) = batches.next_statement()? {
        out.extend(R::find_by_statement(statement).all(db).await?);
    }
    Ok(out)
}

/// The statements of one bulk insert, built one batch at a time.
struct Batches<'a, A: ActiveModelTrait> {
    backend: DbBackend,
    rows: &'a [A],
    /// Rows already in a statement.
    done: usize,
    table: String,
    columns: Vec<<A::Entity as EntityTrait>::Column>,
    names: Vec<&'static str>,
    returning: Option<&'a str>,
}

impl<'a, A: ActiveModelTrait> Batches<'a, A> {
    fn new(backend: DbBackend, rows: &'a [A], returning: Option<&'a str>) -> Self {
        let columns: Vec<_> = match rows.first() {
            Some(first) => <A::Entity as EntityTrait>::Column::iter()
                .filter(|c| first.get(*c).is_set())
                .collect(),
            None => Vec::new(),
        };
        let names = columns.iter().map(|c| c.as_str()).collect();
        Batches {
            backend,
            rows,
            done: 0,
            table: A::Entity::default().table_name().to_string(),
            columns,
            names,
            returning,
        }
    }

    /// The next batch's statement, `None` when every row is in one.
    fn next_statement(&mut self) -> Result<Option<Statement>, DbErr> {
        let rest = &self.rows[self.done..];
        if rest.is_empty() {
            return Ok(None);
        }
        let (statement, taken) = if self.backend == DbBackend::Postgres {
            let chunk = &rest[..rest.len().min(PG_BATCH_ROWS)];
            (
                arrays_statement(&self.table, chunk, &self.columns, &self.names)?,
                chunk.len(),
            )
        } else {
            let mut batch: Vec<u8> = Vec::new();
            let mut taken = 0;
            for row in rest {
                batch.push(if batch.is_empty() { b'[' } else { b',' });
                push_row(&mut batch, row, &self.columns, &self.names)?;
                taken += 1;
                if batch.len() >= BATCH_BYTES {
                    break;
                }
            }
            batch.push(b']');
            // Only whole JSON values (UTF-8 strings, ASCII punctuation) were written.
            let json =
                String::from_utf8(batch).map_err(|e| DbErr::Custom(format!("bulk insert: {e}")))?;
            (
                Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    json_statement(&self.table, &self.names),
                    [json.into()],
                ),
                taken,
            )
        };
        self.done += taken;
        Ok(Some(match self.returning {
            Some(r) => Statement {
                sql: format!("{} RETURNING {r}", statement.sql),
                ..statement
            },
            None => statement,
        }))
    }
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

/// The SQLite `INSERT … SELECT` unpacking one JSON parameter into `table`'s `columns`.
fn json_statement(table: &str, columns: &[&str]) -> String {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let values = (0..columns.len())
        .map(|k| format!("value ->> {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("INSERT INTO \"{table}\" ({list}) SELECT {values} FROM jsonb_each(?)")
}

/// How a column travels to PostgreSQL: the array element type it is bound as, and the cast
/// back to the column's type where the driver sends another (JSON goes as text).
struct PgColumn {
    array: ArrayType,
    element: &'static str,
    cast: Option<&'static str>,
}

impl PgColumn {
    /// For a column whose values look like `v` (a typed null says the type as well).
    fn of(v: &Value, jsonb: bool, table: &str, name: &str) -> Result<PgColumn, DbErr> {
        let (array, element, cast) = match v {
            Value::Bool(_) => (ArrayType::Bool, "bool", None),
            Value::SmallInt(_) => (ArrayType::SmallInt, "int2", None),
            Value::Int(_) => (ArrayType::Int, "int4", None),
            Value::BigInt(_) => (ArrayType::BigInt, "int8", None),
            Value::String(_) | Value::Enum(_) => (ArrayType::String, "text", None),
            Value::ChronoDate(_) => (ArrayType::ChronoDate, "date", None),
            Value::ChronoDateTimeUtc(_) => (ArrayType::ChronoDateTimeUtc, "timestamptz", None),
            Value::Json(_) => (
                ArrayType::String,
                "text",
                Some(if jsonb { "jsonb" } else { "json" }),
            ),
            other => {
                return Err(DbErr::Custom(format!(
                    "bulk insert into {table}: column {name} holds values like {other:?}, which are not supported"
                )));
            }
        };
        Ok(PgColumn {
            array,
            element,
            cast,
        })
    }

    /// The value standing in an array for a null (masked by the column's null array).
    fn filler(&self) -> Value {
        match self.array {
            ArrayType::Bool => false.into(),
            ArrayType::SmallInt => 0i16.into(),
            ArrayType::Int => 0i32.into(),
            ArrayType::BigInt => 0i64.into(),
            ArrayType::ChronoDate => chrono::NaiveDate::default().into(),
            ArrayType::ChronoDateTimeUtc => chrono::DateTime::<chrono::Utc>::default().into(),
            _ => String::new().into(),
        }
    }

    /// `v` as an element of this column's array, `None` for a null.
    fn element(&self, v: Value) -> Option<Value> {
        match v {
            Value::Enum(OptionEnum::Some(e)) => Some(e.value.to_string().into()),
            Value::Enum(OptionEnum::None(_)) => None,
            Value::Json(Some(j)) => Some(j.to_string().into()),
            v if !v.is_some() => None,
            v => Some(v),
        }
    }
}

/// The PostgreSQL statement inserting `rows` into `table`, one array per column.
fn arrays_statement<A: ActiveModelTrait>(
    table: &str,
    rows: &[A],
    columns: &[<A::Entity as EntityTrait>::Column],
    names: &[&str],
) -> Result<Statement, DbErr> {
    let mut kinds = Vec::with_capacity(columns.len());
    let mut values: Vec<Vec<Value>> = Vec::with_capacity(columns.len());
    let mut nulls: Vec<Vec<Value>> = Vec::with_capacity(columns.len());
    for (c, name) in columns.iter().zip(names) {
        let mut kind = None;
        let mut column = Vec::with_capacity(rows.len());
        let mut null = Vec::with_capacity(rows.len());
        let mut any_null = false;
        for row in rows {
            let v = match row.get(*c) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => {
                    return Err(DbErr::Custom(format!(
                        "bulk insert into {table}: column {name} is set in the first row but not in a later one"
                    )));
                }
            };
            let k: &PgColumn = match &kind {
                Some(k) => k,
                None => {
                    let jsonb = matches!(c.def().get_column_type(), ColumnType::JsonBinary);
                    kind.insert(PgColumn::of(&v, jsonb, table, name)?)
                }
            };
            match k.element(v) {
                Some(v) => {
                    column.push(v);
                    null.push(false.into());
                }
                None => {
                    column.push(k.filler());
                    null.push(true.into());
                    any_null = true;
                }
            }
        }
        let kind = kind.expect("a batch has rows");
        values.push(column);
        nulls.push(if any_null { null } else { Vec::new() });
        kinds.push(kind);
    }
    // unnest($1::int8[], $2::text[], $3::bool[], …) AS u(c0, c1, n1, …)
    let mut params: Vec<Value> = Vec::with_capacity(columns.len() * 2);
    let mut arrays = Vec::new();
    let mut aliases = Vec::new();
    let mut selected = Vec::new();
    for (k, ((kind, column), null)) in kinds.iter().zip(values).zip(nulls).enumerate() {
        let masked = !null.is_empty();
        params.push(Value::Array(kind.array.clone(), Some(Box::new(column))));
        arrays.push(format!("${}::{}[]", params.len(), kind.element));
        aliases.push(format!("c{k}"));
        let mut value = format!("c{k}");
        if let Some(cast) = kind.cast {
            value = format!("{value}::{cast}");
        }
        if masked {
            params.push(Value::Array(ArrayType::Bool, Some(Box::new(null))));
            arrays.push(format!("${}::bool[]", params.len()));
            aliases.push(format!("n{k}"));
            value = format!("CASE WHEN n{k} THEN NULL ELSE {value} END");
        }
        selected.push(value);
    }
    let list = names
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({list}) SELECT {} FROM unnest({}) AS u({})",
        selected.join(", "),
        arrays.join(", "),
        aliases.join(", ")
    );
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        params,
    ))
}

/// Appends one row (SQLite) as a JSON array.
fn push_row<A: ActiveModelTrait>(
    out: &mut Vec<u8>,
    row: &A,
    columns: &[<A::Entity as EntityTrait>::Column],
    names: &[&str],
) -> Result<(), DbErr> {
    out.push(b'[');
    for (k, (c, name)) in columns.iter().zip(names).enumerate() {
        if k > 0 {
            out.push(b',');
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
        push_value(out, &value)?;
    }
    out.push(b']');
    Ok(())
}

/// Appends one value as JSON, in the form sqlx would store it in SQLite.
fn push_value(out: &mut Vec<u8>, value: &Value) -> Result<(), DbErr> {
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
            Some(t) => push_str(
                out,
                &t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            ),
            None => out.extend_from_slice(b"null"),
        },
        // SQLite stores a JSON column's text.
        Value::Json(v) => match v {
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
