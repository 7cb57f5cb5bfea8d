//! `extensions.code` for async-graphql's own errors, told apart by where they arose.
//!
//! Our resolvers' errors carry a code already ([`crate::error::ApiError`]). The rest come from
//! async-graphql itself, and [`ErrorCodes`] (a schema extension) codes them by phase:
//!
//! - **parse** (syntax, async-graphql's recursion guard): `GRAPHQL_VALIDATION_FAILED`;
//! - **limits**: the extension checks the depth and complexity that validation computed against
//!   [`super::MAX_DEPTH`] and [`super::MAX_COMPLEXITY`]: `QUERY_TOO_COMPLEX`;
//! - **validation**: `GRAPHQL_VALIDATION_FAILED`, except the rules about the caller's input
//!   (argument values, variables): `BAD_USER_INPUT`. async-graphql's rule errors carry nothing
//!   but their message, so this one split reads the rules' fixed message prefixes
//!   ([`INPUT_RULE_PREFIXES`]) — the only place an error's text decides its code;
//! - **execution**: an error without a code that points at an argument of the query is
//!   async-graphql's argument coercion or validator (`BAD_USER_INPUT`); any other is a failure
//!   that slipped through (`INTERNAL_SERVER_ERROR`, message replaced so nothing internal such
//!   as SQL reaches the client, and logged);
//! - anything else at request level (an unknown operation name): `GRAPHQL_VALIDATION_FAILED`.
//!
//! The extension runs for HTTP and WebSocket alike.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;

/// The code of syntax and validation errors.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// The code of errors in the caller's input.
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
/// The code of queries over the depth or complexity limit.
pub const TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
/// The code of failures the caller did not cause.
pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";

/// Message prefixes of async-graphql's validation rules about input: `ArgumentsOfCorrectType`
/// and the variable rules (undefined, unused, non-input type, wrong position).
pub const INPUT_RULE_PREFIXES: [&str; 2] = ["Invalid value for argument", "Variable \""];

/// The schema extension coding async-graphql's errors, with the depth and complexity limits.
pub struct ErrorCodes {
    max_depth: usize,
    max_complexity: usize,
}

impl ErrorCodes {
    pub fn new(max_depth: usize, max_complexity: usize) -> Self {
        ErrorCodes {
            max_depth,
            max_complexity,
        }
    }
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            query: Arc::default(),
        })
    }
}

/// One request's instance: keeps the query text to find its arguments if an error needs it.
struct PerRequest {
    max_depth: usize,
    max_complexity: usize,
    query: Arc<Mutex<Option<String>>>,
}

#[async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let resp = next.run(ctx).await;
        finish(resp, &self.query)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let query = self.query.clone();
        next.run(ctx, stream)
            .map(move |resp| finish(resp, &query))
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        *self.query.lock().expect("query lock") = Some(query.to_string());
        next.run(ctx, query, variables)
            .await
            .map_err(|e| coded(e, VALIDATION_FAILED))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        match next.run(ctx).await {
            Ok(r) if r.complexity > self.max_complexity => {
                Err(vec![too_complex("Query is too complex.")])
            }
            Ok(r) if r.depth > self.max_depth => {
                Err(vec![too_complex("Query is nested too deep.")])
            }
            Ok(r) => Ok(r),
            Err(errors) => Err(errors
                .into_iter()
                .map(|e| {
                    let code = if INPUT_RULE_PREFIXES.iter().any(|p| e.message.starts_with(p)) {
                        BAD_USER_INPUT
                    } else {
                        VALIDATION_FAILED
                    };
                    coded(e, code)
                })
                .collect()),
        }
    }
}

fn too_complex(message: &str) -> ServerError {
    coded(ServerError::new(message, None), TOO_COMPLEX)
}

fn coded(mut e: ServerError, code: &str) -> ServerError {
    set_code(&mut e, code);
    e
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
fn finish(mut resp: Response, query: &Mutex<Option<String>>) -> Response {
    let mut arguments: Option<Vec<Pos>> = None;
    for e in &mut resp.errors {
        if code_of(e).is_some() {
            continue;
        }
        let code = if e.path.is_empty() {
            VALIDATION_FAILED
        } else {
            let args = arguments.get_or_insert_with(|| {
                let q = query.lock().expect("query lock");
                q.as_deref()
                    .and_then(|q| async_graphql::parser::parse_query(q).ok())
                    .map(|doc| argument_positions(&doc))
                    .unwrap_or_default()
            });
            field_error_code(e, args)
        };
        if code == INTERNAL {
            tracing::error!(message = %e.message, path = ?e.path, "resolver error without a code");
            e.message = "internal error; it has been logged".into();
        }
        set_code(e, code);
    }
    resp
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
    let mut sets: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .collect();
    sets.extend(doc.fragments.values().map(|f| &f.node.selection_set.node));
    while let Some(set) = sets.pop() {
        for sel in &set.items {
            for d in sel.node.directives() {
                out.extend(d.node.arguments.iter().map(|(_, v)| v.pos));
            }
            match &sel.node {
                Selection::Field(f) => {
                    out.extend(f.node.arguments.iter().map(|(_, v)| v.pos));
                    sets.push(&f.node.selection_set.node);
                }
                Selection::InlineFragment(i) => sets.push(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
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
        crate::graphql::schema().finish().execute(query).await
    }

    async fn run_with(query: &str, vars: serde_json::Value) -> Response {
        let req = async_graphql::Request::new(query).variables(Variables::from_json(vars));
        crate::graphql::schema().finish().execute(req).await
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
        assert_eq!(r.errors[0].message, "Query is nested too deep.");

        let fields: String = (0..60)
            .map(|k| format!("a{k}: datasets(first: 100) {{ nodes {{ title }} }} "))
            .collect();
        let r = run(&format!("{{ {fields} }}")).await;
        assert_eq!(code(&r), TOO_COMPLEX);
        assert_eq!(r.errors[0].message, "Query is too complex.");

        let r = run("{ datasets(first: 1) { nope } }").await;
        assert_eq!(code(&r), VALIDATION_FAILED);
        let r = run("{ datasets(first: 1) { ").await;
        assert_eq!(code(&r), VALIDATION_FAILED);
        let r = run("query A { __typename } query B { __typename }").await;
        assert_eq!(code(&r), VALIDATION_FAILED, "no operation chosen");

        let r = run("{ datasets(first: \"x\") { totalCount } }").await;
        assert_eq!(code(&r), BAD_USER_INPUT);
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
