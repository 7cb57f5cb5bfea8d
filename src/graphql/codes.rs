//! `extensions.code` for async-graphql's own errors, told apart by where they arose.
//!
//! Our resolvers' errors carry a code already ([`crate::error::ApiError`]). The rest come from
//! async-graphql itself, and [`Coded`] (an executor around the schema) codes them once the
//! response is complete:
//!
//! - **request level** (no path: syntax, async-graphql's recursion guard, validation, limits, an
//!   unknown operation name): `GRAPHQL_VALIDATION_FAILED`, except
//!   - a document that does not parse: `GRAPHQL_PARSE_FAILED`, its parser diagram turned into
//!     one sentence with the line and column;
//!   - the schema's depth and complexity limits ([`super::MAX_DEPTH`], [`super::MAX_COMPLEXITY`],
//!     set on the builder; the complexity limit is checked first, on the request's own cost
//!     counting `__typename` and introspection, by [`Coded::prepare`]): `QUERY_TOO_COMPLEX`;
//!   - the rules about the caller's input (argument values, variables): `BAD_USER_INPUT`.
//!
//!   async-graphql's request-level errors carry nothing but their message, so these splits read
//!   its fixed messages ([`LIMIT_MESSAGES`], [`INPUT_RULE_PREFIXES`]) — the only place an
//!   error's text decides its code;
//! - **execution**: an error without a code that points at an argument of the query is
//!   async-graphql's argument coercion or validator (`BAD_USER_INPUT`); any other is a failure
//!   that slipped through (`INTERNAL_SERVER_ERROR`, message replaced so nothing internal such
//!   as SQL reaches the client, and logged).
//!
//! This is an [`Executor`] rather than a schema extension on purpose: with any extension
//! registered, async-graphql sends every field of every response through the extension chain,
//! which cost about 40 % of the executor's time on a page of 100 datasets (see
//! `BENCHMARKS.md`). Wrapping the executor costs nothing per field and serves HTTP and
//! WebSocket alike. The same wrapper counts and times every operation
//! ([`crate::telemetry::operations`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

use super::cost::Costs;
use async_graphql::{Data, Executor, Pos, Request, Response, ServerError};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::telemetry::operations::{Operations, Transport};

/// The code of validation errors.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// The code of documents that do not parse.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// How the parser's messages begin (a diagram: ` --> line:column`, the line, a caret, `= what`).
const PARSER_DIAGRAM: &str = " --> ";
/// The code of errors in the caller's input.
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
/// The code of queries over the depth or complexity limit.
pub const TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
/// The code of failures the caller did not cause.
pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";

/// Message prefixes of async-graphql's validation rules about input: `ArgumentsOfCorrectType`
/// (which also reports the input type's own error: `InputValueError::expected_type` and
/// `custom`) and the variable rules (undefined, unused, non-input type, wrong position).
pub const INPUT_RULE_PREFIXES: [&str; 4] = [
    "Invalid value for argument",
    "Expected input type",
    "Failed to parse \"",
    "Variable \"",
];

/// The messages of async-graphql's complexity and depth limits
/// (`SchemaBuilder::limit_complexity`, `limit_depth`).
pub const LIMIT_MESSAGES: [&str; 2] = ["Query is too complex.", "Query is nested too deep."];

/// An executor (the schema) whose responses have every error coded (see the module doc), and
/// that refuses documents over their limits before the schema sees them ([`Coded::prepare`]).
#[derive(Clone)]
pub struct Coded<E> {
    inner: E,
    /// The values of every enum type, by type name: an error about a value that is not one of
    /// them lists them.
    enums: Arc<HashMap<String, Vec<String>>>,
    /// Every operation counted and timed ([`crate::telemetry::operations`]).
    operations: Arc<Operations>,
    /// The schema's shape for the cost of a request.
    costs: Arc<Costs>,
}

/// What [`Coded::prepare`] found out about a request; kept in the request's data, so a request
/// is prepared (and its document parsed) once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// What the request costs ([`super::cost`]).
    pub cost: usize,
    /// The kind of operation it runs (a query when the document does not say which).
    pub operation: OperationType,
}

impl<E> Coded<E> {
    /// Wraps `inner`, whose SDL is `sdl` (read once, for the enums' values and the fields'
    /// types).
    pub fn new(inner: E, sdl: &str) -> Self {
        Coded {
            inner,
            enums: Arc::new(enum_values(sdl)),
            operations: Default::default(),
            costs: Arc::new(Costs::from_sdl(sdl)),
        }
    }

    /// Labels at most `max` distinct operation names in the metrics (the rest are `other`).
    pub fn max_operations(mut self, max: usize) -> Self {
        self.operations = Arc::new(Operations::new(max));
        self
    }

    /// Parses the request's document once (the schema then uses the parsed document), checks
    /// it against the document limits ([`MAX_DOCUMENT_BYTES`], [`MAX_FIELDS`],
    /// [`MAX_ALIASES`]) and its cost against [`super::MAX_COMPLEXITY`]: what it costs and
    /// which kind of operation it runs, or the coded answer refusing it (a document that does
    /// not parse, or one over a limit, the limit and the document's figure named).
    pub fn prepare(&self, request: &mut Request) -> Result<Prepared, Box<Response>> {
        if let Some(p) = request
            .data
            .get(&std::any::TypeId::of::<Prepared>())
            .and_then(|p| p.downcast_ref::<Prepared>())
        {
            return Ok(*p);
        }
        let refuse = |message: String| {
            let mut e = ServerError::new(message, None);
            set_code(&mut e, TOO_COMPLEX);
            Err(Box::new(Response::from_errors(vec![e])))
        };
        let query = &request.query;
        if query.len() > MAX_DOCUMENT_BYTES {
            return refuse(format!(
                "the query document is {} bytes; at most {MAX_DOCUMENT_BYTES} are allowed",
                query.len()
            ));
        }
        let doc = match async_graphql::parser::parse_query(query) {
            Ok(doc) => doc,
            Err(e) => {
                let resp = Response::from_errors(vec![e.into()]);
                return Err(Box::new(finish(resp, query, &self.enums)));
            }
        };
        let (fields, aliases) = fields_and_aliases(&doc);
        if aliases > MAX_ALIASES {
            return refuse(format!(
                "the query has {aliases} aliased fields; at most {MAX_ALIASES} are allowed"
            ));
        }
        if fields > MAX_FIELDS {
            return refuse(format!(
                "the query selects {fields} fields (__typename included); at most {MAX_FIELDS} are allowed"
            ));
        }
        let (operation, cost) = self
            .costs
            .of(&doc, request.operation_name.as_deref(), &request.variables)
            .unwrap_or((OperationType::Query, 0));
        if cost > super::MAX_COMPLEXITY {
            return refuse(format!(
                "Query is too complex: its cost is {cost}, over the limit of {} (a list costs its \
                 page size times the cost of one item, `stats` {}, `facets` {}, `catalogChanges` \
                 and `datasets(asOf:)` {} besides their fields, any other field 1, `__typename` \
                 and introspection included); ask for smaller pages or fewer lists",
                super::MAX_COMPLEXITY,
                super::STATS_COST,
                super::FACETS_COST,
                super::AS_OF_COST
            ));
        }
        request.set_parsed_query(doc);
        let prepared = Prepared { cost, operation };
        request.data.insert(prepared);
        Ok(prepared)
    }
}

impl<E: Executor> Executor for Coded<E> {
    async fn execute(&self, mut request: Request) -> Response {
        let measure = self.operations.begin(Transport::Http, &request);
        if let Err(refusal) = self.prepare(&mut request) {
            return measure.refused(*refusal);
        }
        let query = request.query.clone();
        measure
            .run(async {
                let (resp, stale) = crate::catalog::noting_stale(self.inner.execute(request)).await;
                let mut resp = finish(resp, &query, &self.enums);
                // Answered (in part) from this instance's catalog while the database does not
                // answer: say so, and which outbox position the answer reflects.
                if let Some(stale) = stale {
                    resp.extensions.insert(
                        "stale".into(),
                        async_graphql::Value::from_json(stale.to_json()).unwrap_or_default(),
                    );
                }
                resp
            })
            .await
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let measure = self.operations.begin(Transport::Ws, &request);
        if let Err(refusal) = self.prepare(&mut request) {
            let refused = futures::stream::once(async move { *refusal }).boxed();
            return self.operations.stream(measure, refused);
        }
        let query = request.query.clone();
        let enums = self.enums.clone();
        let stream = self
            .inner
            .execute_stream(request, session_data)
            .map(move |resp| finish(resp, &query, &enums))
            .boxed();
        self.operations.stream(measure, stream)
    }
}

/// Largest query document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024;
/// Most field selections in one document, `__typename` and introspection included.
pub const MAX_FIELDS: usize = 1_000;
/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 100;

/// Field selections and aliased ones in a document's operations and fragments.
fn fields_and_aliases(doc: &ExecutableDocument) -> (usize, usize) {
    let (mut fields, mut aliases) = (0, 0);
    each_selection(doc, |sel| {
        if let Selection::Field(f) = sel {
            fields += 1;
            aliases += usize::from(f.node.alias.is_some());
        }
    });
    (fields, aliases)
}

/// Calls `f` on every selection of a document's operations and fragments, nested ones included.
fn each_selection<'a>(doc: &'a ExecutableDocument, mut f: impl FnMut(&'a Selection)) {
    let mut sets: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .collect();
    sets.extend(doc.fragments.values().map(|f| &f.node.selection_set.node));
    while let Some(set) = sets.pop() {
        for sel in &set.items {
            f(&sel.node);
            match &sel.node {
                Selection::Field(field) => sets.push(&field.node.selection_set.node),
                Selection::InlineFragment(i) => sets.push(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The code of an error raised before execution (it has no path).
fn request_error_code(e: &ServerError) -> &'static str {
    if e.message.starts_with(PARSER_DIAGRAM) {
        PARSE_FAILED
    } else if LIMIT_MESSAGES.contains(&e.message.as_str()) {
        TOO_COMPLEX
    } else if INPUT_RULE_PREFIXES.iter().any(|p| e.message.starts_with(p)) {
        BAD_USER_INPUT
    } else {
        VALIDATION_FAILED
    }
}

/// Sets the code of an error that has none.
fn set_code(e: &mut ServerError, code: &str) {
    if code_of(e).is_none() {
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

fn code_of(e: &ServerError) -> Option<&async_graphql::Value> {
    e.extensions.as_ref().and_then(|x| x.get("code"))
}

/// Codes the errors still without one (see the module doc).
fn finish(mut resp: Response, query: &str, enums: &HashMap<String, Vec<String>>) -> Response {
    let mut arguments: Option<Vec<Pos>> = None;
    for e in &mut resp.errors {
        if code_of(e).is_some() {
            continue;
        }
        let code = if e.path.is_empty() {
            request_error_code(e)
        } else {
            let args = arguments.get_or_insert_with(|| {
                async_graphql::parser::parse_query(query)
                    .map(|doc| argument_positions(&doc))
                    .unwrap_or_default()
            });
            field_error_code(e, args)
        };
        // A database error passed on with `?` (no code): a database that is down, full or
        // read-only is `SERVICE_UNAVAILABLE` (503), like the errors coded by `ApiError`.
        if code == INTERNAL
            && let Some(why) = db_unavailable(e)
        {
            e.message = why.message().into();
            set_code(e, crate::error::UNAVAILABLE);
            continue;
        }
        if code == INTERNAL {
            tracing::error!(message = %e.message, path = ?e.path, "resolver error without a code");
            e.message = "internal error; it has been logged".into();
        }
        if code == PARSE_FAILED {
            e.message = parse_sentence(e);
        }
        if e.message == LIMIT_MESSAGES[0] {
            e.message = format!(
                "Query is too complex: its cost is over the limit of {} (a list costs its page size \
                 times the cost of one item, `stats` {} and `facets` {} besides their fields); ask \
                 for smaller pages or fewer lists",
                super::MAX_COMPLEXITY,
                super::STATS_COST,
                super::FACETS_COST
            );
        } else if e.message == LIMIT_MESSAGES[1] {
            e.message = format!(
                "Query is nested too deep: over the limit of {} levels",
                super::MAX_DEPTH
            );
        }
        if code == BAD_USER_INPUT
            && let Some(values) = not_a_value_of(&e.message).and_then(|name| enums.get(name))
        {
            e.message = format!("{}; its values are {}", e.message, values.join(", "));
        }
        set_code(e, code);
    }
    resp
}

/// The enum type an error says a value is not one of (async-graphql's fixed wording).
fn not_a_value_of(message: &str) -> Option<&str> {
    let rest = message.split_once("enumeration type \"")?.1;
    let (name, rest) = rest.split_once('"')?;
    rest.starts_with(" does not contain the value")
        .then_some(name)
}

/// The values of every `enum` block of an SDL, by type name (descriptions and directives left
/// out).
fn enum_values(sdl: &str) -> HashMap<String, Vec<String>> {
    const DOC: &str = "\"\"\"";
    let mut out = HashMap::new();
    let mut lines = sdl.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("enum ")
            .and_then(|r| r.split_whitespace().next())
        else {
            continue;
        };
        let (mut values, mut in_doc) = (Vec::new(), false);
        for l in lines.by_ref() {
            let t = l.trim();
            if in_doc {
                in_doc = !t.ends_with(DOC);
                continue;
            }
            if t == "}" {
                break;
            }
            if let Some(rest) = t.strip_prefix(DOC) {
                in_doc = rest.is_empty() || !rest.ends_with(DOC);
                continue;
            }
            if t.is_empty() || t.starts_with('"') {
                continue;
            }
            if let Some(v) = t.split(|c: char| c.is_whitespace() || c == '@').next() {
                values.push(v.to_string());
            }
        }
        out.insert(name.to_string(), values);
    }
    out
}

/// A parser diagram as one sentence: "the query does not parse at line 1, column 12: expected
/// name".
fn parse_sentence(e: &ServerError) -> String {
    let what = e
        .message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("= "))
        .unwrap_or("unexpected text")
        .trim();
    match e.locations.first() {
        Some(p) => format!(
            "the query does not parse at line {}, column {}: {what}",
            p.line, p.column
        ),
        None => format!("the query does not parse: {what}"),
    }
}

/// Whether an uncoded error is a database error that means the database cannot serve now.
fn db_unavailable(e: &ServerError) -> Option<crate::error::DbUnavailable> {
    if let Some(db) = e.source::<sea_orm::DbErr>() {
        return crate::error::unavailable(db);
    }
    e.source::<std::sync::Arc<sea_orm::DbErr>>()
        .and_then(|db| crate::error::unavailable(db))
}

/// The code of an error raised while resolving a field: the caller's when it points at an
/// argument value (async-graphql's coercion and validators report there; resolvers report at
/// the field), else internal, whatever its text.
fn field_error_code(e: &ServerError, arguments: &[Pos]) -> &'static str {
    if e.locations.iter().any(|l| arguments.contains(l)) {
        BAD_USER_INPUT
    } else {
        INTERNAL
    }
}

/// Where every argument value of the document starts (fields and directives, in operations and
/// fragments).
fn argument_positions(doc: &ExecutableDocument) -> Vec<Pos> {
    let mut out = Vec::new();
    each_selection(doc, |sel| {
        for d in sel.directives() {
            out.extend(d.node.arguments.iter().map(|(_, v)| v.pos));
        }
        if let Selection::Field(f) = sel {
            out.extend(f.node.arguments.iter().map(|(_, v)| v.pos));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(resp: &Response) -> &str {
        match code_of(&resp.errors[0]) {
            Some(async_graphql::Value::String(s)) => s,
            other => panic!("no code: {other:?} in {:?}", resp.errors),
        }
    }

    async fn run(query: &str) -> Response {
        crate::graphql::api().execute(Request::new(query)).await
    }

    async fn run_with(query: &str, vars: serde_json::Value) -> Response {
        let req = Request::new(query).variables(async_graphql::Variables::from_json(vars));
        crate::graphql::api().execute(req).await
    }

    #[tokio::test]
    async fn a_value_that_is_not_of_an_enum_lists_the_values() {
        for r in [
            run("{ datasets(filter: { status: [WITHHLD] }, first: 1) { totalCount } }").await,
            run_with(
                "query($s: [DisclosureStatus!]) { datasets(filter: { status: $s }, first: 1) { totalCount } }",
                serde_json::json!({ "s": ["WITHHLD"] }),
            )
            .await,
        ] {
            assert_eq!(code(&r), BAD_USER_INPUT);
            let m = &r.errors[0].message;
            assert!(m.contains("WITHHLD"), "{m}");
            assert!(
                m.ends_with(
                    "its values are OPEN, PARTIALLY_OPEN, WITHHELD, UNDER_REVIEW, SCHEDULED_TO_OPEN"
                ),
                "{m}"
            );
        }
    }

    #[tokio::test]
    async fn documents_over_their_limits_are_refused_with_the_figures() {
        let aliases: String = (0..101).map(|k| format!("a{k}: __typename ")).collect();
        let r = run(&format!("{{ {aliases} }}")).await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert_eq!(
            r.errors[0].message,
            "the query has 101 aliased fields; at most 100 are allowed"
        );
        let r = run(&format!(
            "{{ {} }}",
            (0..100)
                .map(|k| format!("a{k}: __typename "))
                .collect::<String>()
        ))
        .await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);

        let fields = "__typename ".repeat(1_001);
        let r = run(&format!("{{ {fields} }}")).await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert!(
            r.errors[0]
                .message
                .starts_with("the query selects 1001 fields"),
            "{}",
            r.errors[0].message
        );

        let r = run(&format!(
            "{{ __typename }} # {}",
            "x".repeat(MAX_DOCUMENT_BYTES)
        ))
        .await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert!(
            r.errors[0].message.contains("at most 32768"),
            "{}",
            r.errors[0].message
        );
    }

    #[tokio::test]
    async fn a_malformed_date_says_how_to_write_one() {
        let r = run(
            "{ datasets(filter: { registeredFrom: \"2021-13-01\" }, first: 1) { totalCount } }",
        )
        .await;
        assert_eq!(code(&r), BAD_USER_INPUT);
        assert!(
            r.errors[0]
                .message
                .contains("\"2021-13-01\" is not a date; write it as YYYY-MM-DD"),
            "{}",
            r.errors[0].message
        );
    }

    #[test]
    fn enum_values_skip_descriptions_and_directives() {
        let sdl = "type A {\n\tx: Int\n}\nenum E {\n\t\"\"\"\n\tdoc with ONE word\n\t\"\"\"\n\tONE\n\t\"\"\"one-line\"\"\"\n\tTWO @deprecated(reason: \"x\")\n\tTHREE\n}\n";
        let e = enum_values(sdl);
        assert_eq!(e["E"], ["ONE", "TWO", "THREE"]);
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn resolver_errors_without_a_code_are_internal_whatever_their_text() {
        let at = |line, column| Pos { line, column };
        let args = [at(1, 20)];
        for m in [
            "Query Error: error returned from database: too many SQL variables",
            "Execution Error: query is too complex for the planner",
            "Variable $1 of statement nested too deep",
            r#"Failed to parse "Int": the value is 101"#,
            "connection refused",
        ] {
            let mut e = ServerError::new(m, Some(at(1, 3)));
            e.path = vec![async_graphql::PathSegment::Field("datasets".into())];
            assert_eq!(field_error_code(&e, &args), INTERNAL, "{m}");
        }
        // The same error pointing at an argument is async-graphql's coercion: the caller's fault.
        let e = ServerError::new("whatever it says", Some(at(1, 20)));
        assert_eq!(field_error_code(&e, &args), BAD_USER_INPUT);
    }

    #[tokio::test]
    async fn request_level_errors_are_coded_by_phase() {
        let mut deep = "name".to_string();
        for _ in 0..20 {
            deep = format!("parent {{ {deep} }}");
        }
        let r = run(&format!("{{ institution(code: \"x\") {{ {deep} }} }}")).await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert_eq!(
            r.errors[0].message,
            "Query is nested too deep: over the limit of 15 levels"
        );

        let fields: String = (0..60)
            .map(|k| format!("a{k}: datasets(first: 100) {{ nodes {{ title }} }} "))
            .collect();
        let r = run(&format!("{{ {fields} }}")).await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert!(
            r.errors[0]
                .message
                .starts_with("Query is too complex: its cost is ")
                && r.errors[0]
                    .message
                    .contains(", over the limit of 10000 (a list costs"),
            "{}",
            r.errors[0].message
        );

        let r = run("{ datasets(first: 1) { nope } }").await;
        assert_eq!(code(&r), VALIDATION_FAILED);
        let r = run("{ datasets(first: 1) { ").await;
        assert_eq!(code(&r), PARSE_FAILED);
        assert_eq!(
            r.errors[0].message,
            "the query does not parse at line 1, column 24: expected selection"
        );
        let r = run("query A { __typename } query B { __typename }").await;
        assert_eq!(code(&r), VALIDATION_FAILED, "no operation chosen");

        let r = run("{ datasets(first: \"x\") { totalCount } }").await;
        assert_eq!(code(&r), BAD_USER_INPUT);
        // Every error of it: the rule's, and the input type's own.
        assert!(r.errors.len() > 1, "{:?}", r.errors);
        for e in &r.errors {
            assert_eq!(
                code_of(e),
                Some(&async_graphql::Value::from(BAD_USER_INPUT)),
                "{e:?}"
            );
        }
        let r = run("query { datasets(first: $n) { totalCount } }").await;
        assert_eq!(code(&r), BAD_USER_INPUT, "undefined variable");
        let r = run_with(
            "query($n: Int) { datasets(first: $n) { totalCount } }",
            serde_json::json!({ "n": "many" }),
        )
        .await;
        assert_eq!(code(&r), BAD_USER_INPUT, "variable of the wrong type");
    }

    #[tokio::test]
    async fn argument_validators_are_the_callers_fault() {
        // Coerced and validated before the resolver runs: no database is needed to refuse it.
        let ids: Vec<String> = (0..101).map(|i| format!("\"x{i}\"")).collect();
        let r = run(&format!("{{ nodes(ids: [{}]) {{ id }} }}", ids.join(","))).await;
        assert_eq!(code(&r), BAD_USER_INPUT, "{:?}", r.errors);
        assert!(!r.errors[0].path.is_empty(), "raised while resolving");
    }
}
