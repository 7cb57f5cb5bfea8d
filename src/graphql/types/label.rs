//! `Label`: the Korean and English names of a value, so front ends never hard-code them.

use async_graphql::SimpleObject;

use crate::domain::labels;

/// A value's human names.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct Label {
    /// English label, e.g. "Transport and logistics".
    pub label: &'static str,
    /// Korean label, e.g. "교통물류".
    pub label_ko: &'static str,
}

impl From<labels::Label> for Label {
    fn from(l: labels::Label) -> Self {
        Label {
            label: l.en,
            label_ko: l.ko,
        }
    }
}
