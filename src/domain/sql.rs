//! A small SQL builder: text with `$n` parameters bound in order, the same on SQLite and
//! PostgreSQL. Every hand-written query of the domain (dataset lists, facets, statistics,
//! institution records, request counts, exports) is built with it.

use sea_orm::{ActiveEnum, DbBackend, Statement, Value};

/// SQL text with its `$n` parameters.
pub struct Sql {
    pub backend: DbBackend,
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder.
    pub fn param(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// A comma-separated list of placeholders.
    pub fn params<V: Into<Value>>(&mut self, vs: impl IntoIterator<Item = V>) -> String {
        vs.into_iter()
            .map(|v| self.param(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Binds `ids` as one JSON array and returns a subquery listing them (one column `value`):
    /// any number of ids in one parameter, for `… IN (…)`.
    pub fn ids(&mut self, ids: &[i64]) -> String {
        let p = self.param(serde_json::json!(ids).to_string());
        match self.backend {
            DbBackend::Postgres => {
                format!("SELECT value::bigint AS value FROM json_array_elements_text({p}::json)")
            }
            _ => format!("SELECT value FROM json_each({p})"),
        }
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// `needle` occurs in `hay` (both SQL expressions).
    pub fn contains(&self, hay: &str, needle: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("strpos({hay}, {needle}) > 0"),
            _ => format!("instr({hay}, {needle}) > 0"),
        }
    }

    pub fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The stored values of a list of enum members, to bind with [`Sql::params`].
pub fn enum_values<E: ActiveEnum<Value = String>>(v: &[E]) -> Vec<String> {
    v.iter().map(|e| e.to_value()).collect()
}
