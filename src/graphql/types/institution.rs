//! `Institution`: a provider institution (제공기관).

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{institution, institution_name};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::enums::InstitutionKind;
use super::label::Label;
use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{InstitutionId, Loaders};

/// An administrative or public institution that holds data.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Institution {
    /// Global id.
    pub id: ID,
    /// Portal institution code (기관코드), e.g. 1741000.
    pub code: String,
    /// Current name.
    pub name: String,
    /// English name, when known.
    pub name_en: Option<String>,
    /// Kind; derived from the code unless `kindOverridden`.
    pub kind: InstitutionKind,
    /// True when the kind was set by hand.
    pub kind_overridden: bool,
    /// True when the parent was confirmed by someone with authority (otherwise it is a guess from the name).
    pub parent_confirmed: bool,
    /// True for fictional demo institutions.
    pub synthetic: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub parent_id: Option<i64>,
}

impl From<institution::Model> for Institution {
    fn from(m: institution::Model) -> Self {
        Institution {
            id: encode(NodeKind::Institution, m.id),
            code: m.code,
            name: m.name,
            name_en: m.name_en,
            kind: m.kind.into(),
            kind_overridden: m.kind_overridden,
            parent_confirmed: m.parent_confirmed,
            synthetic: m.synthetic,
            updated_at: m.updated_at,
            row_id: m.id,
            parent_id: m.parent_id,
        }
    }
}

/// A former name of an institution.
#[derive(SimpleObject, Clone, Debug)]
pub struct FormerName {
    /// The name it had.
    pub name: String,
    /// When that name was replaced.
    pub replaced_at: DateTime<Utc>,
    /// What recorded the change.
    pub source: String,
}

#[ComplexObject]
impl Institution {
    /// Labels of the kind.
    async fn kind_label(&self) -> Label {
        labels::institution_kind(self.kind.into()).into()
    }

    /// The parent institution (see `parentConfirmed`).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(p) = self.parent_id else {
            return Ok(None);
        };
        let l = ctx.data_unchecked::<Loaders>();
        Ok(l.load_one(InstitutionId(p)).await?.map(Institution::from))
    }

    /// Former names, newest first (the code stays when the name changes).
    async fn former_names(&self, ctx: &Context<'_>) -> Result<Vec<FormerName>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = institution_name::Entity::find()
            .filter(institution_name::Column::InstitutionId.eq(self.row_id))
            .order_by_desc(institution_name::Column::ReplacedAt)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| FormerName {
                name: r.name,
                replaced_at: r.replaced_at,
                source: r.source,
            })
            .collect())
    }
}
