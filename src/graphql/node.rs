//! Objects by global id: the `Node` interface, and loading any mix of ids with one statement
//! per kind, the relations the query selects under them prefetched.

use async_graphql::{Context, ID, Interface, Result};

use super::ids::NodeKind;
use super::loaders::{
    BundleId, CommitmentId, DatasetId, EventId, InstitutionId, Loaders, MilestoneId, PlanId,
    RequestId, TargetId,
};
use super::prefetch::{self, Sel};
use super::types::bundle::CoreDataBundle;
use super::types::dataset::Dataset;
use super::types::disclosure::DisclosureEvent;
use super::types::institution::Institution;
use super::types::plan::{Commitment, Milestone, Plan, Target};
use super::types::request::DataRequest;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "Global id."))]
pub enum Node {
    Dataset(Dataset),
    Institution(Institution),
    CoreDataBundle(CoreDataBundle),
    Plan(Plan),
    Commitment(Commitment),
    Milestone(Milestone),
    Target(Target),
    DataRequest(DataRequest),
    DisclosureEvent(DisclosureEvent),
}

/// The object `n` of `kind`, `None` when it does not exist.
pub async fn load_node(ctx: &Context<'_>, kind: NodeKind, n: i64) -> Result<Option<Node>> {
    Ok(load_nodes(ctx, &[(kind, n)]).await?.pop().flatten())
}

/// Loads `keys` with one statement per kind (whatever their number), primes what the query
/// selects under them, and returns them in order, `None` where one does not exist.
pub async fn load_nodes(ctx: &Context<'_>, keys: &[(NodeKind, i64)]) -> Result<Vec<Option<Node>>> {
    let l = ctx.data_unchecked::<Loaders>();
    let sel = Sel::list(ctx);
    let of = |kind: NodeKind| -> Vec<i64> {
        let mut v: Vec<i64> = keys
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| *n)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let datasets = l
        .load_many(of(NodeKind::Dataset).into_iter().map(DatasetId))
        .await?;
    let institutions = l
        .load_many(of(NodeKind::Institution).into_iter().map(InstitutionId))
        .await?;
    let bundles = l
        .load_many(of(NodeKind::CoreDataBundle).into_iter().map(BundleId))
        .await?;
    let plans = l
        .load_many(of(NodeKind::Plan).into_iter().map(PlanId))
        .await?;
    let commitments = l
        .load_many(of(NodeKind::Commitment).into_iter().map(CommitmentId))
        .await?;
    let milestones = l
        .load_many(of(NodeKind::Milestone).into_iter().map(MilestoneId))
        .await?;
    let targets = l
        .load_many(of(NodeKind::Target).into_iter().map(TargetId))
        .await?;
    let requests = l
        .load_many(of(NodeKind::DataRequest).into_iter().map(RequestId))
        .await?;
    let events = l
        .load_many(of(NodeKind::DisclosureEvent).into_iter().map(EventId))
        .await?;
    fn sorted<K, M: Clone>(m: &std::collections::HashMap<K, M>, id: impl Fn(&M) -> i64) -> Vec<M> {
        let mut v: Vec<M> = m.values().cloned().collect();
        v.sort_by_key(|x| id(x));
        v
    }
    prefetch::datasets(ctx, &sel, &sorted(&datasets, |m| m.id), false).await?;
    prefetch::bundles(ctx, &sel, &sorted(&bundles, |m| m.id)).await?;
    prefetch::plans(ctx, &sel, &sorted(&plans, |m| m.id)).await?;
    prefetch::commitments(ctx, &sel, &sorted(&commitments, |m| m.id)).await?;
    prefetch::milestones(ctx, &sel, &sorted(&milestones, |m| m.id)).await?;
    prefetch::targets(ctx, &sel, &sorted(&targets, |m| m.id)).await?;
    prefetch::events(ctx, &sel, &sorted(&events, |m| m.id)).await?;
    Ok(keys
        .iter()
        .map(|&(kind, n)| match kind {
            NodeKind::Dataset => datasets
                .get(&DatasetId(n))
                .map(|m| Node::Dataset(m.clone().into())),
            NodeKind::Institution => institutions
                .get(&InstitutionId(n))
                .map(|m| Node::Institution(m.clone().into())),
            NodeKind::CoreDataBundle => bundles
                .get(&BundleId(n))
                .map(|m| Node::CoreDataBundle(m.clone().into())),
            NodeKind::Plan => plans.get(&PlanId(n)).map(|m| Node::Plan(m.clone().into())),
            NodeKind::Commitment => commitments
                .get(&CommitmentId(n))
                .map(|m| Node::Commitment(m.clone().into())),
            NodeKind::Milestone => milestones
                .get(&MilestoneId(n))
                .map(|m| Node::Milestone(m.clone().into())),
            NodeKind::Target => targets
                .get(&TargetId(n))
                .map(|m| Node::Target(m.clone().into())),
            NodeKind::DataRequest => requests
                .get(&RequestId(n))
                .map(|m| Node::DataRequest(m.clone().into())),
            NodeKind::DisclosureEvent => events
                .get(&EventId(n))
                .map(|m| Node::DisclosureEvent(m.clone().into())),
        })
        .collect())
}
