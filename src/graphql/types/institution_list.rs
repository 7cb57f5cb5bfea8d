//! `institutions(search, kind, orderBy)`: the orderings of the institution list.

use async_graphql::Enum;

use crate::catalog::institutions::Order;

/// Orderings of the institution list; every ordering ends with the institution id as
/// tie-break. The figures are those of `Institution.record`: the datasets the institution holds
/// itself (not its sub-institutions'), listed or not, whatever their status.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum InstitutionOrder {
    /// By id, the oldest entry first (the default).
    #[default]
    Id,
    /// By current name, in code-point order (the same on every database).
    Name,
    /// Most datasets held first.
    DatasetsHeld,
    /// Most withheld datasets first (status `WITHHELD`; partially open ones not counted).
    Withheld,
    /// Highest open share first. The open share is the number of datasets with status `OPEN`
    /// divided by the number of datasets held (as `InstitutionRecord.openShare`, 0 to 1).
    /// Institutions that hold no dataset have no share and come last.
    OpenShare,
    /// Lowest open share first (as `OPEN_SHARE`); institutions that hold no dataset come last.
    OpenShareLowest,
}

impl From<InstitutionOrder> for Order {
    fn from(o: InstitutionOrder) -> Self {
        match o {
            InstitutionOrder::Id => Order::Id,
            InstitutionOrder::Name => Order::Name,
            InstitutionOrder::DatasetsHeld => Order::DatasetsHeld,
            InstitutionOrder::Withheld => Order::Withheld,
            InstitutionOrder::OpenShare => Order::OpenShare,
            InstitutionOrder::OpenShareLowest => Order::OpenShareLowest,
        }
    }
}
