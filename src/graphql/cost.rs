//! What a request costs, read from its parsed document in one walk before it runs: the figure
//! the complexity limit ([`super::MAX_COMPLEXITY`]) and the rate limit
//! ([`crate::http::rate_limit`]) count.
//!
//! The rules are the schema's own (`#[graphql(complexity = …)]` on the fields, listed in
//! [`RULES`]): every field costs 1 plus what it selects; a root list (`datasets`,
//! `institutions`, …) costs its page size (`first` or `last`, literal or variable, 20 by
//! default, clamped to 1–100 as [`super::pagination::complexity`]) times the cost of one item,
//! plus 1, and so do `Institution.datasets`, `Institution.requests` and `Institution.reviewQueue`
//! (`reviewQueue` adds [`super::REVIEW_QUEUE_COST`]); a nested list (`Dataset.history`, `Dataset.requests`, `CoreDataBundle.datasets`)
//! `first` (default 20) times one item, plus 1; `stats` costs [`super::STATS_COST`] and a
//! list's `facets` [`super::FACETS_COST`] besides their fields; `datasets(asOf:)` adds
//! [`super::AS_OF_COST`] to its page when `asOf` is given, and `catalogChanges` costs it besides
//! its fields. Fragments count where they are
//! spread. Unlike async-graphql's own count, `__typename` costs 1 too, and so does every
//! introspection field (GraphiQL's schema query included): a request pays for everything it
//! asks for.
//!
//! async-graphql computes its complexity during validation but keeps it to itself unless a
//! schema extension reads it, and any extension costs about 40 % of the executor's time
//! (see [`super::codes`]); this walk costs a few microseconds. The document is parsed once:
//! the parsed document is handed to the schema (`Request::set_parsed_query`).

use std::collections::HashMap;

use async_graphql::Variables;
use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value};

use super::pagination;
use super::{AS_OF_COST, FACETS_COST, MAX_PAGE_SIZE, REVIEW_QUEUE_COST, STATS_COST};

/// How a field's cost is computed, besides the default (1 plus what it selects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A root list: page size (`first`/`last`, default 20, clamped 1–100) × one item + 1.
    Page,
    /// A nested list: `first` (default 20) × one item + 1.
    Nested,
    /// A fixed cost besides its fields (no 1 of its own).
    Fixed(usize),
    /// A root list that also passes over a large part of the inventory: [`Rule::Page`] plus a
    /// fixed cost.
    HeavyPage(usize),
    /// A root list that costs a fixed amount more when the named argument is given (not null):
    /// [`Rule::Page`], plus the cost then.
    PageWhen(&'static str, usize),
}

/// The fields whose cost is not the default, as the schema's `complexity` attributes say
/// (a test checks each against async-graphql's own figure).
pub const RULES: [(&str, &str, Rule); 17] = [
    ("Query", "datasets", Rule::PageWhen("asOf", AS_OF_COST)),
    ("Query", "catalogChanges", Rule::Fixed(AS_OF_COST)),
    ("Query", "institutions", Rule::Page),
    ("Query", "coreDataBundles", Rule::Page),
    ("Query", "plans", Rule::Page),
    ("Query", "commitments", Rule::Page),
    ("Query", "milestones", Rule::Page),
    ("Query", "dataRequests", Rule::Page),
    ("Dataset", "history", Rule::Nested),
    ("Dataset", "requests", Rule::Nested),
    ("CoreDataBundle", "datasets", Rule::Nested),
    ("Institution", "datasets", Rule::Page),
    ("Institution", "requests", Rule::Page),
    ("Query", "reviewQueue", Rule::HeavyPage(REVIEW_QUEUE_COST)),
    ("Institution", "reviewQueue", Rule::Page),
    ("Query", "stats", Rule::Fixed(STATS_COST)),
    ("DatasetConnection", "facets", Rule::Fixed(FACETS_COST)),
];

/// Deepest nesting the walk follows (the schema refuses anything past [`super::MAX_DEPTH`]
/// anyway); it keeps the walk's stack bounded for any document.
const MAX_WALK_DEPTH: usize = 64;

/// The schema's shape as the walk needs it: each field's type and rule.
#[derive(Debug, Default)]
pub struct Costs {
    /// The named type of each field, by type and field name.
    types: HashMap<(String, String), String>,
    rules: HashMap<(String, String), Rule>,
    /// The root types: query, mutation, subscription.
    roots: [String; 3],
}

impl Costs {
    /// Reads the fields' types from the schema's SDL.
    pub fn from_sdl(sdl: &str) -> Costs {
        let mut types = HashMap::new();
        if let Ok(doc) = async_graphql::parser::parse_schema(sdl) {
            for def in &doc.definitions {
                let TypeSystemDefinition::Type(t) = def else {
                    continue;
                };
                let fields = match &t.node.kind {
                    TypeKind::Object(o) => &o.fields,
                    TypeKind::Interface(i) => &i.fields,
                    _ => continue,
                };
                for f in fields {
                    let mut ty = &f.node.ty.node;
                    while let async_graphql::parser::types::BaseType::List(inner) = &ty.base {
                        ty = inner;
                    }
                    types.insert(
                        (t.node.name.node.to_string(), f.node.name.node.to_string()),
                        ty.base.to_string(),
                    );
                }
            }
        }
        let rules = RULES
            .iter()
            .map(|(t, f, r)| ((t.to_string(), f.to_string()), *r))
            .collect();
        Costs {
            types,
            rules,
            roots: ["Query".into(), "Mutation".into(), "Subscription".into()],
        }
    }

    /// The operation a request runs (by `operation_name`, or the only one) and its cost; None
    /// when the document does not say which (the schema reports that).
    pub fn of(
        &self,
        doc: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Option<(OperationType, usize)> {
        let op = selected(doc, operation_name)?;
        let root = match op.ty {
            OperationType::Query => &self.roots[0],
            OperationType::Mutation => &self.roots[1],
            OperationType::Subscription => &self.roots[2],
        };
        let mut walk = Walk {
            costs: self,
            doc,
            op,
            variables,
            fragments: HashMap::new(),
        };
        let cost = walk.set(Some(root), &op.selection_set.node, 0);
        Some((op.ty, usize::try_from(cost).unwrap_or(usize::MAX)))
    }
}

/// The operation a request runs: the one named, or the only one.
pub fn selected<'a>(
    doc: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let mut ops = doc.operations.iter();
    match operation_name {
        Some(want) => ops
            .find(|(name, _)| name.is_some_and(|n| n.as_str() == want))
            .map(|(_, op)| &op.node),
        None => {
            let (_, op) = ops.next()?;
            ops.next().is_none().then_some(&op.node)
        }
    }
}

/// One walk over an operation.
struct Walk<'a> {
    costs: &'a Costs,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    /// Fragments' costs once known (None while being walked: a cycle, which validation refuses,
    /// counts nothing).
    fragments: HashMap<&'a str, Option<u64>>,
}

impl<'a> Walk<'a> {
    fn set(&mut self, ty: Option<&str>, set: &'a SelectionSet, depth: usize) -> u64 {
        if depth > MAX_WALK_DEPTH {
            return 0;
        }
        let mut total = 0u64;
        for sel in &set.items {
            let cost = match &sel.node {
                Selection::Field(f) => self.field(ty, &f.node, depth),
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str());
                    self.set(on.or(ty), &i.node.selection_set.node, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    self.fragment(s.node.fragment_name.node.as_str(), depth)
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn fragment(&mut self, name: &'a str, depth: usize) -> u64 {
        match self.fragments.get(name) {
            Some(Some(cost)) => return *cost,
            Some(None) => return 0,
            None => {}
        }
        let Some((key, frag)) = self.doc.fragments.get_key_value(name) else {
            return 0;
        };
        self.fragments.insert(key.as_str(), None);
        let on = frag.node.type_condition.node.on.node.as_str();
        let cost = self.set(Some(on), &frag.node.selection_set.node, depth + 1);
        self.fragments.insert(key.as_str(), Some(cost));
        cost
    }

    fn field(&mut self, ty: Option<&str>, f: &'a Field, depth: usize) -> u64 {
        let name = f.name.node.as_str();
        let key = ty.map(|t| (t.to_string(), name.to_string()));
        let child_ty = key.as_ref().and_then(|k| self.costs.types.get(k)).cloned();
        let child = self.set(child_ty.as_deref(), &f.selection_set.node, depth + 1);
        match key.as_ref().and_then(|k| self.costs.rules.get(k)) {
            Some(rule @ (Rule::Page | Rule::HeavyPage(_) | Rule::PageWhen(..))) => {
                let arg = |name| {
                    self.int_arg(f, name)
                        .map(|n| n.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
                };
                let n = pagination::counted_page_size(arg("first"), arg("last")) as u64;
                let extra = match rule {
                    Rule::HeavyPage(c) => *c as u64,
                    Rule::PageWhen(arg, c) if self.given(f, arg) => *c as u64,
                    _ => 0,
                };
                n.saturating_mul(child)
                    .saturating_add(1)
                    .saturating_add(extra)
            }
            Some(Rule::Nested) => {
                let n = self
                    .int_arg(f, "first")
                    .unwrap_or(20)
                    .clamp(0, MAX_PAGE_SIZE as i64) as u64;
                n.saturating_mul(child).saturating_add(1)
            }
            Some(Rule::Fixed(c)) => (*c as u64).saturating_add(child),
            None => child.saturating_add(1),
        }
    }

    /// An integer argument: a literal, or a variable's value or default.
    fn int_arg(&self, f: &Field, name: &str) -> Option<i64> {
        let (_, v) = f.arguments.iter().find(|(n, _)| n.node.as_str() == name)?;
        let value = v
            .node
            .clone()
            .into_const_with(|var| self.variable(&var).ok_or(()));
        match value {
            Ok(Value::Number(n)) => n.as_i64(),
            _ => None,
        }
    }

    /// Whether an argument is given and not null (a literal, or a variable's value or default).
    fn given(&self, f: &Field, name: &str) -> bool {
        let Some((_, v)) = f.arguments.iter().find(|(n, _)| n.node.as_str() == name) else {
            return false;
        };
        let value = v
            .node
            .clone()
            .into_const_with(|var| self.variable(&var).ok_or(()));
        !matches!(value, Ok(Value::Null) | Err(_))
    }

    /// A variable's value, or its default.
    fn variable(&self, var: &Name) -> Option<Value> {
        if let Some(v) = self.variables.get(var) {
            return Some(v.clone());
        }
        self.op
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == *var)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|d| d.node.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs() -> Costs {
        Costs::from_sdl(&crate::graphql::sdl())
    }

    fn cost_of(query: &str, vars: serde_json::Value) -> usize {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        costs()
            .of(&doc, None, &Variables::from_json(vars))
            .unwrap()
            .1
    }

    /// async-graphql's own complexity of a query, read by a test-only extension that stops the
    /// request after validation (nothing runs).
    async fn schema_complexity(query: &str, vars: serde_json::Value) -> usize {
        use async_graphql::extensions::{
            Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation,
        };
        use async_graphql::{ServerError, ValidationResult};
        use std::sync::{Arc, Mutex};

        struct Capture(Arc<Mutex<Option<usize>>>);
        impl ExtensionFactory for Capture {
            fn create(&self) -> Arc<dyn Extension> {
                Arc::new(Capture(self.0.clone()))
            }
        }
        #[async_trait::async_trait]
        impl Extension for Capture {
            async fn validation(
                &self,
                ctx: &ExtensionContext<'_>,
                next: NextValidation<'_>,
            ) -> Result<ValidationResult, Vec<ServerError>> {
                let r = next.run(ctx).await?;
                *self.0.lock().unwrap() = Some(r.complexity);
                Ok(r)
            }
            async fn execute(
                &self,
                _ctx: &ExtensionContext<'_>,
                _operation_name: Option<&str>,
                _next: NextExecute<'_>,
            ) -> async_graphql::Response {
                async_graphql::Response::new(Value::Null)
            }
        }

        let seen = Arc::new(Mutex::new(None));
        let schema = crate::graphql::schema()
            .extension(Capture(seen.clone()))
            .finish();
        let req = async_graphql::Request::new(query).variables(Variables::from_json(vars));
        let r = async_graphql::Executor::execute(&schema, req).await;
        assert!(r.errors.is_empty(), "{query}: {:?}", r.errors);
        seen.lock().unwrap().expect("validated")
    }

    /// Every rule agrees with the schema's own figure (without `__typename`, which the schema
    /// does not count): literals, variables, defaults, fragments, nesting.
    #[tokio::test]
    async fn the_cost_is_the_schemas_complexity() {
        let cases = [
            ("{ datasets { totalCount } }", serde_json::json!({})),
            (
                "{ datasets(first: 100) { nodes { title institution { name } } } }",
                serde_json::json!({}),
            ),
            (
                "{ datasets(last: 7) { edges { cursor node { title } } facets { status { value count } } } }",
                serde_json::json!({}),
            ),
            (
                "query($n: Int) { datasets(first: $n) { nodes { title history(first: 3) { toStatus } requests { state } } } }",
                serde_json::json!({ "n": 50 }),
            ),
            (
                "query($n: Int = 30) { institutions(first: $n) { nodes { name } } }",
                serde_json::json!({}),
            ),
            (
                "{ coreDataBundles(first: 10) { nodes { datasets(first: 0) { title } } } }",
                serde_json::json!({}),
            ),
            (
                "{ coreDataBundles(first: 10) { nodes { ...B } } } fragment B on CoreDataBundle { name datasets { ...D } } fragment D on Dataset { title portalKey }",
                serde_json::json!({}),
            ),
            (
                "{ stats { total byStatus { value count } topInstitutions(first: 50) { total open } } }",
                serde_json::json!({}),
            ),
            (
                "{ plans { nodes { id kind } } commitments(first: 5) { nodes { code } } milestones { totalCount } dataRequests(first: 2) { nodes { state } } }",
                serde_json::json!({}),
            ),
            (
                "{ reviewQueue(first: 30) { totalCount nodes { reasons dataset { title } } } institutions(first: 5) { nodes { reviewQueue(first: 3) { nodes { waitingSince } } record { reviewDue } } } }",
                serde_json::json!({}),
            ),
            (
                "{ disclosureChanges(first: 500) { changes { cursor } } }",
                serde_json::json!({}),
            ),
            (
                "{ datasets(first: -3) { nodes { title } } }",
                serde_json::json!({}),
            ),
            (
                "{ datasets(first: 10, asOf: \"2024-01-01\") { totalCount nodes { stateAsOf { status } } } }",
                serde_json::json!({}),
            ),
            (
                "query($d: Date) { datasets(asOf: $d) { totalCount } }",
                serde_json::json!({ "d": "2024-01-01" }),
            ),
            (
                "query($d: Date) { datasets(asOf: $d) { totalCount } }",
                serde_json::json!({}),
            ),
            (
                "{ catalogChanges(from: \"2024-01-01\", to: \"2025-01-01\") { totals { opened } byInstitution(first: 5) { changes { total } } byCategory { category } } }",
                serde_json::json!({}),
            ),
        ];
        for (q, vars) in cases {
            assert_eq!(
                cost_of(q, vars.clone()),
                schema_complexity(q, vars.clone()).await,
                "{q}"
            );
        }
    }

    #[test]
    fn typename_and_introspection_count() {
        assert_eq!(cost_of("{ __typename }", serde_json::json!({})), 1);
        assert_eq!(
            cost_of(
                "{ datasets(first: 10) { __typename nodes { __typename } } }",
                serde_json::json!({})
            ),
            10 * (1 + 2) + 1
        );
        assert_eq!(
            cost_of(
                "{ __schema { types { name fields { name } } } }",
                serde_json::json!({})
            ),
            5
        );
    }

    #[test]
    fn fragment_cycles_and_bombs_stay_bounded() {
        let q = "{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }";
        assert_eq!(cost_of(q, serde_json::json!({})), 1);
        // Each fragment spreads the one below it ten times: counted, not expanded.
        let mut q = String::from("{ ...F0 } ");
        for k in 0..30 {
            q.push_str(&format!(
                "fragment F{k} on Query {{ {} }} ",
                format!("...F{} ", k + 1).repeat(10)
            ));
        }
        q.push_str("fragment F30 on Query { __typename }");
        assert_eq!(cost_of(&q, serde_json::json!({})), usize::MAX);
    }
}
