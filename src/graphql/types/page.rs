//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`, made from a
//! [`Page`] (as [`crate::graphql::pagination`] fetches them).

use async_graphql::SimpleObject;

/// Where a page sits in the whole list.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// True when there are items before this page.
    pub has_previous_page: bool,
    /// True when there are items after this page.
    pub has_next_page: bool,
    /// Cursor of the first item of the page; pass it as `before` to go back.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; pass it as `after` to go on.
    pub end_cursor: Option<String>,
}

/// One page of rows fetched by keyset, before it becomes a connection.
pub struct Page<T> {
    /// (cursor, node) in list order.
    pub rows: Vec<(String, T)>,
    pub has_previous: bool,
    pub has_next: bool,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_previous: self.has_previous,
            has_next: self.has_next,
            total: self.total,
        }
    }

    pub fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: self.rows.first().map(|(c, _)| c.clone()),
            end_cursor: self.rows.last().map(|(c, _)| c.clone()),
        }
    }
}

/// Declares a connection and its edge type for a node type.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $conn_doc:literal, $edge_doc:literal) => {
        #[doc = $conn_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $conn {
            /// The items of this page with their cursors.
            pub edges: Vec<$edge>,
            /// The items of this page, without cursors.
            pub nodes: Vec<$node>,
            /// Cursors and whether more pages exist.
            pub page_info: $crate::graphql::types::page::PageInfo,
            /// How many items match, over all pages.
            pub total_count: u64,
        }

        #[doc = $edge_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque position of this item; pass it as `after` or `before`.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl From<$crate::graphql::types::page::Page<$node>> for $conn {
            fn from(p: $crate::graphql::types::page::Page<$node>) -> Self {
                let page_info = p.page_info();
                let nodes = p.rows.iter().map(|(_, n)| n.clone()).collect();
                $conn {
                    edges: p
                        .rows
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    nodes,
                    page_info,
                    total_count: p.total,
                }
            }
        }
    };
}

pub(crate) use connection;
