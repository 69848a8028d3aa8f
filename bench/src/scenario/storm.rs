//! Phase 3, the restart storm: an operator process with a long resync interval takes over the
//! Ready users, and right after it started one new `User` is created. Measured for a window from
//! the process start: what the start costs the Ready users (ideally almost nothing: they are
//! Ready and nothing changed) and how soon the new User is Ready behind them.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, ResourceExt};
use tokio::time::Instant;
use zitadel_user_operator::secrets::secret_name;

use super::creation::SETTLE;
use super::verify::Check;
use super::{Bench, ProcessEnd, ScenarioError};
use crate::measure::counts::{ApiCounts, Owner};
use crate::measure::metrics::Reconciles;
use crate::ready::ReadyWatch;
use crate::users::{self, Kind, NAMESPACE};

/// The kind of the new User: the most common kind of the mix, and one that owns a Secret.
pub const NEW_USER_KIND: Kind = Kind::ReturnCode;

/// The one User created right after the restart.
#[derive(Debug)]
pub struct NewUser {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// From spawning the operator process to the create request.
    pub created_after_start: Duration,
    /// From its create request to the first watch event showing it Ready.
    pub time_to_ready: Duration,
    /// Its own calls in the window.
    pub counts: ApiCounts,
}

/// What the restart storm cost.
#[derive(Debug)]
pub struct RestartStorm {
    /// The operator's resync interval in this phase.
    pub resync: Duration,
    /// From spawning the process to the end of the window.
    pub window: Duration,
    /// The calls in the window for everything but the new User: the Ready users' share.
    pub ready_users: ApiCounts,
    /// The new User.
    pub new_user: NewUser,
    /// Reconciles in the window (the new User's included).
    pub reconciles: Reconciles,
    /// Every Secret and Event that appeared in the window must be the new User's.
    pub objects: Check,
    /// The operator's memory after the window and its exit.
    pub end: ProcessEnd,
}

/// Every object created in the window must be the new User's: the request log names no object
/// for a create, so this is what shows the Ready users got no new Secret or Event.
fn objects_check(created: &[Object], owner: &Owner) -> Check {
    Check {
        name: "restart storm: every Secret and Event created in the window is the new User's"
            .to_owned(),
        checked: created.len(),
        problems: created
            .iter()
            .filter(|object| !object.belongs_to(owner))
            .map(|object| format!("{} was created", object.describe()))
            .collect(),
    }
}

/// Runs the phase with its own operator process and removes the new User again, so that the
/// next phase measures the same users as the creation.
pub async fn run(bench: &Bench) -> Result<RestartStorm, ScenarioError> {
    let args = &bench.params.args;
    let before = Objects::list(bench).await?;
    ApiCounts::reset(&bench.env.zitadel, &bench.env.kube);
    let started = Instant::now();
    let mut operator = bench
        .start_operator(args.restart_resync(), "restart-storm.log")
        .await?;
    let user = users::user(NEW_USER_KIND, args.users, devenv::EXAMPLES_ORG_ID);
    let name = user.name_any();
    eprintln!(
        "restart storm: operator pid {} is watching; creating {name}",
        operator.pid()
    );
    let mut watch = ReadyWatch::start(bench.users());
    let created_at = Instant::now();
    bench.users().create(&PostParams::default(), &user).await?;
    let ready_at = watch.wait_for(&name, &mut operator, args.timeout()).await?;
    drop(watch);
    eprintln!(
        "restart storm: {name} Ready after {:.2} s; measuring until {} s after the start",
        (ready_at - created_at).as_secs_f64(),
        args.restart_window_s
    );
    let window_end = (started + args.restart_window()).max(ready_at + SETTLE);
    tokio::time::sleep_until(window_end).await;

    let user_id = bench
        .users()
        .get(&name)
        .await?
        .status
        .and_then(|status| status.user_id)
        .unwrap_or_default();
    let owner = Owner {
        user_id,
        name: name.clone(),
        secret: secret_name(&user),
    };
    let split = ApiCounts::snapshot_split(&bench.env.zitadel, &bench.env.kube, &owner);
    let reconciles = operator.reconciles().await?;
    let window = started.elapsed();
    let after = Objects::list(bench).await?;
    let created = after.created_since(&before);

    remove(bench, &mut operator, &name).await?;
    let end = ProcessEnd::measure_and_stop(operator).await?;
    Ok(RestartStorm {
        resync: args.restart_resync(),
        window,
        ready_users: split.others,
        new_user: NewUser {
            name,
            kind: NEW_USER_KIND,
            created_after_start: created_at - started,
            time_to_ready: ready_at - created_at,
            counts: split.owner,
        },
        reconciles,
        objects: objects_check(&created, &owner),
        end,
    })
}

/// Deletes the new User and waits until the operator has let it go (its finalizer removed).
async fn remove(
    bench: &Bench,
    operator: &mut crate::process::OperatorProcess,
    name: &str,
) -> Result<(), ScenarioError> {
    let users = bench.users();
    users.delete(name, &DeleteParams::default()).await?;
    operator
        .wait_until("let the new User go after its deletion", async |_| {
            Ok(matches!(users.get_opt(name).await, Ok(None)))
        })
        .await?;
    Ok(())
}

/// One Secret or Event, by what tells whose it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Object {
    /// A Secret in the benchmark's namespace, by name.
    Secret(String),
    /// An Event, by namespace/name, with the name of the object it is about.
    Event {
        /// `namespace/name`.
        id: String,
        /// `regarding.name`.
        regarding: Option<String>,
    },
}

impl Object {
    fn belongs_to(&self, owner: &Owner) -> bool {
        match self {
            Self::Secret(name) => *name == owner.secret,
            Self::Event { regarding, .. } => regarding.as_deref() == Some(owner.name.as_str()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Secret(name) => format!("Secret {name}"),
            Self::Event { id, regarding } => format!(
                "Event {id} about {}",
                regarding.as_deref().unwrap_or("nothing")
            ),
        }
    }
}

/// The Secrets and Events that exist at one moment.
struct Objects(BTreeSet<Object>);

impl Objects {
    async fn list(bench: &Bench) -> Result<Self, ScenarioError> {
        let secrets: Api<Secret> = Api::namespaced(bench.client.clone(), NAMESPACE);
        let events: Api<Event> = Api::all(bench.client.clone());
        let params = ListParams::default();
        let mut objects: BTreeSet<Object> = secrets
            .list_metadata(&params)
            .await?
            .items
            .iter()
            .map(|secret| Object::Secret(secret.name_any()))
            .collect();
        objects.extend(
            events
                .list(&params)
                .await?
                .items
                .iter()
                .map(|event| Object::Event {
                    id: format!(
                        "{}/{}",
                        event.namespace().unwrap_or_default(),
                        event.name_any()
                    ),
                    regarding: event.regarding.as_ref().and_then(|r| r.name.clone()),
                }),
        );
        Ok(Self(objects))
    }

    /// The objects in `self` that were not in `earlier`.
    fn created_since(&self, earlier: &Self) -> Vec<Object> {
        self.0.difference(&earlier.0).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            user_id: "u".to_owned(),
            name: "bench-00004".to_owned(),
            secret: "bench-00004-zitadel".to_owned(),
        }
    }

    fn event(name: &str, regarding: &str) -> Object {
        Object::Event {
            id: format!("default/{name}"),
            regarding: Some(regarding.to_owned()),
        }
    }

    #[test]
    fn only_the_new_users_secret_and_events_belong_to_it() {
        let owner = owner();
        assert!(Object::Secret("bench-00004-zitadel".to_owned()).belongs_to(&owner));
        assert!(!Object::Secret("bench-00001-zitadel".to_owned()).belongs_to(&owner));
        assert!(event("bench-00004.1a", "bench-00004").belongs_to(&owner));
        assert!(!event("bench-00004.1b", "bench-00001").belongs_to(&owner));
        let about_nothing = Object::Event {
            id: "default/x".to_owned(),
            regarding: None,
        };
        assert!(!about_nothing.belongs_to(&owner));
        assert_eq!(about_nothing.describe(), "Event default/x about nothing");
    }

    #[test]
    fn objects_created_in_the_window_are_the_ones_not_there_before() {
        let before = Objects(
            [Object::Secret("a".to_owned()), event("a.1", "a")]
                .into_iter()
                .collect(),
        );
        let mut after = Objects(before.0.clone());
        after.0.insert(event("b.1", "b"));
        after.0.insert(Object::Secret("b".to_owned()));
        assert_eq!(
            after.created_since(&before),
            [Object::Secret("b".to_owned()), event("b.1", "b")]
        );
    }

    #[test]
    fn an_object_of_another_user_fails_the_objects_check() {
        let owner = owner();
        let own = [
            Object::Secret("bench-00004-zitadel".to_owned()),
            event("bench-00004.1a", "bench-00004"),
        ];
        let check = objects_check(&own, &owner);
        assert!(check.passed());
        assert_eq!(check.checked, 2);
        let mut foreign = own.to_vec();
        foreign.push(event("bench-00001.1a", "bench-00001"));
        assert_eq!(
            objects_check(&foreign, &owner).problems,
            ["Event default/bench-00001.1a about bench-00001 was created"]
        );
    }
}
