//! GraphiQL, served with its assets from the binary: it works on a machine that reaches no website.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::graphql::examples::EXAMPLES;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphql-ws.min.js"),
    ),
];

/// `GET /`: GraphiQL with the example queries as tabs.
pub async fn page() -> Html<String> {
    let examples: Vec<_> = EXAMPLES
        .iter()
        .map(
            |e| serde_json::json!({ "title": e.title, "query": e.query, "variables": e.variables }),
        )
        .collect();
    // `<` is escaped so that no example can close the script element.
    let json = serde_json::to_string(&examples)
        .expect("examples serialize")
        .replace('<', "\\u003c");
    Html(PAGE.replace("__EXAMPLES_JSON__", &json))
}

/// `GET /assets/graphiql/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
