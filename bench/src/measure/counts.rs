//! API calls the operator made: ZITADEL calls by RPC (the emulator's counters) and Kubernetes
//! requests by verb and resource (the emulator's request log, filtered by the operator's
//! `User-Agent`).

use std::collections::BTreeMap;

use kube_emulator::{KubeEmulator, RecordedRequest};
use zitadel_emulator::ZitadelEmulator;
use zitadel_user_operator::names::USER_AGENT;

use crate::users::Kind;

/// A Kubernetes request type: RBAC verb and resource (with subresource).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeRequest {
    /// RBAC verb (get, list, watch, create, patch, ...).
    pub verb: String,
    /// `resource` or `resource/subresource`; `(discovery)` for non-resource URLs.
    pub resource: String,
}

impl KubeRequest {
    fn of(request: &RecordedRequest) -> Self {
        let resource = match (&request.subresource, request.is_resource_request()) {
            (_, false) => "(discovery)".to_owned(),
            (Some(sub), true) => format!("{}/{sub}", request.resource),
            (None, true) => request.resource.clone(),
        };
        Self {
            verb: request.verb.clone(),
            resource,
        }
    }

    /// Whether the request changes state.
    pub fn is_write(&self) -> bool {
        kube_emulator::requests::MUTATING_VERBS.contains(&self.verb.as_str())
    }
}

/// Calls by RPC name.
pub type RpcCounts = BTreeMap<String, usize>;

/// Calls counted since the last [`ApiCounts::reset`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCounts {
    /// ZITADEL calls by RPC name.
    pub zitadel: RpcCounts,
    /// The ZITADEL calls that name a user, by user id (see
    /// [`ZitadelEmulator::call_counts_by_user`]); a part of `zitadel`.
    pub zitadel_by_user: BTreeMap<String, RpcCounts>,
    /// The operator's Kubernetes requests by type.
    pub kube: BTreeMap<KubeRequest, usize>,
}

/// One `User` whose API calls are told apart from the others': by its ZITADEL user id, and on
/// Kubernetes by the objects a request names (the `User`, its Secret, its Events, which
/// kube-runtime names `<user>.<timestamp>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// Its ZITADEL user id.
    pub user_id: String,
    /// Its name.
    pub name: String,
    /// Its Secret's name.
    pub secret: String,
}

impl Owner {
    /// Whether `request` is on behalf of this user. A create names no object in its URL, so
    /// every create counts as the owner's; who really got the created objects must be checked
    /// on the objects themselves (see `scenario::storm`).
    fn claims(&self, request: &RecordedRequest) -> bool {
        match &request.name {
            None => request.verb == "create",
            Some(name) => {
                *name == self.name
                    || *name == self.secret
                    || (request.resource == "events"
                        && name
                            .strip_prefix(self.name.as_str())
                            .is_some_and(|rest| rest.starts_with('.')))
            }
        }
    }
}

/// The calls of one window split between one [`Owner`] and everyone else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// The owner's calls.
    pub owner: ApiCounts,
    /// Everyone else's.
    pub others: ApiCounts,
}

/// ZITADEL calls during a phase grouped by the kind of user they name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallsByKind {
    /// Per kind: how many users of the kind there are, and their calls by RPC.
    pub kinds: BTreeMap<Kind, (usize, RpcCounts)>,
    /// Calls that name no user of the benchmark (e.g. ListUsers, or a user id no `User` has).
    pub unattributed: RpcCounts,
}

impl CallsByKind {
    /// Groups `counts` by the kind of each user id in `kinds`.
    pub fn of(counts: &ApiCounts, kinds: &BTreeMap<String, Kind>) -> Self {
        let mut grouped = Self::default();
        for kind in kinds.values() {
            grouped.kinds.entry(*kind).or_default().0 += 1;
        }
        let mut unattributed = counts.zitadel.clone();
        for (user_id, calls) in &counts.zitadel_by_user {
            let Some(kind) = kinds.get(user_id) else {
                continue;
            };
            let of_kind = &mut grouped.kinds.entry(*kind).or_default().1;
            for (rpc, count) in calls {
                *of_kind.entry(rpc.clone()).or_default() += count;
                if let Some(rest) = unattributed.get_mut(rpc) {
                    *rest = rest.saturating_sub(*count);
                }
            }
        }
        unattributed.retain(|_, count| *count > 0);
        grouped.unattributed = unattributed;
        grouped
    }
}

impl ApiCounts {
    /// Zeroes both emulators' counters.
    pub fn reset(zitadel: &ZitadelEmulator, kube: &KubeEmulator) {
        zitadel.reset_call_counts();
        kube.clear_requests();
    }

    /// The counters now.
    pub fn snapshot(zitadel: &ZitadelEmulator, kube: &KubeEmulator) -> Self {
        Self {
            zitadel: zitadel.call_counts(),
            zitadel_by_user: zitadel.call_counts_by_user(),
            kube: count_operator_requests(&kube.requests()),
        }
    }

    /// The counters now, split between `owner` and everyone else.
    pub fn snapshot_split(zitadel: &ZitadelEmulator, kube: &KubeEmulator, owner: &Owner) -> Split {
        let calls = Self {
            zitadel: zitadel.call_counts(),
            zitadel_by_user: zitadel.call_counts_by_user(),
            kube: BTreeMap::new(),
        };
        split(&calls, &kube.requests(), owner)
    }

    /// ZITADEL calls that only read (`Get*`, `List*`).
    pub fn zitadel_reads(&self) -> usize {
        self.zitadel
            .iter()
            .filter(|(rpc, _)| is_read_rpc(rpc))
            .map(|(_, count)| count)
            .sum()
    }

    /// ZITADEL calls that write.
    pub fn zitadel_writes(&self) -> usize {
        self.zitadel.values().sum::<usize>() - self.zitadel_reads()
    }

    /// Kubernetes requests of every type.
    pub fn kube_total(&self) -> usize {
        self.kube.values().sum()
    }

    /// Kubernetes requests that change state.
    pub fn kube_writes(&self) -> usize {
        self.kube
            .iter()
            .filter(|(request, _)| request.is_write())
            .map(|(_, count)| count)
            .sum()
    }
}

/// Whether the operator has opened a watch on each of `resources` (its caches are then filled:
/// kube's watcher lists before it watches).
pub fn operator_watches(kube: &KubeEmulator, resources: &[&str]) -> bool {
    let requests = kube.requests();
    resources.iter().all(|resource| {
        requests
            .iter()
            .any(|r| r.user_agent == USER_AGENT && r.verb == "watch" && r.resource == *resource)
    })
}

/// Whether a ZITADEL RPC only reads, by the API's naming convention.
pub fn is_read_rpc(rpc: &str) -> bool {
    rpc.starts_with("Get") || rpc.starts_with("List")
}

/// `zitadel` (with no Kubernetes requests) and the Kubernetes `requests` split between
/// `owner` and everyone else.
fn split(zitadel: &ApiCounts, requests: &[RecordedRequest], owner: &Owner) -> Split {
    let owned = zitadel
        .zitadel_by_user
        .get(&owner.user_id)
        .cloned()
        .unwrap_or_default();
    let mut others = zitadel.clone();
    others.zitadel_by_user.remove(&owner.user_id);
    for (rpc, count) in &owned {
        if let Some(rest) = others.zitadel.get_mut(rpc) {
            *rest = rest.saturating_sub(*count);
        }
    }
    others.zitadel.retain(|_, count| *count > 0);
    let (mine, theirs): (Vec<_>, Vec<_>) =
        requests.iter().partition(|request| owner.claims(request));
    others.kube = count_operator_requests(theirs);
    Split {
        owner: ApiCounts {
            zitadel: owned.clone(),
            zitadel_by_user: [(owner.user_id.clone(), owned)].into_iter().collect(),
            kube: count_operator_requests(mine),
        },
        others,
    }
}

fn count_operator_requests<'a>(
    requests: impl IntoIterator<Item = &'a RecordedRequest>,
) -> BTreeMap<KubeRequest, usize> {
    let mut counts = BTreeMap::new();
    for request in requests.into_iter().filter(|r| r.user_agent == USER_AGENT) {
        *counts.entry(KubeRequest::of(request)).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(user_agent: &str, verb: &str, resource: &str, sub: Option<&str>) -> RecordedRequest {
        RecordedRequest {
            user_agent: user_agent.to_owned(),
            verb: verb.to_owned(),
            group: String::new(),
            resource: resource.to_owned(),
            subresource: sub.map(str::to_owned),
            namespace: Some("default".to_owned()),
            name: None,
            path: "/".to_owned(),
        }
    }

    #[test]
    fn only_the_operators_requests_are_counted_by_verb_and_resource() {
        let requests = [
            request(USER_AGENT, "patch", "users", Some("status")),
            request(USER_AGENT, "patch", "users", Some("status")),
            request(USER_AGENT, "get", "secrets", None),
            request("kubectl/v1.32", "create", "users", None),
        ];
        let counts = count_operator_requests(&requests);
        let status = KubeRequest {
            verb: "patch".to_owned(),
            resource: "users/status".to_owned(),
        };
        assert_eq!(counts.get(&status), Some(&2));
        assert_eq!(counts.values().sum::<usize>(), 3);
    }

    fn rpcs(pairs: &[(&str, usize)]) -> RpcCounts {
        pairs
            .iter()
            .map(|(rpc, n)| ((*rpc).to_owned(), *n))
            .collect()
    }

    fn named(verb: &str, resource: &str, sub: Option<&str>, name: Option<&str>) -> RecordedRequest {
        RecordedRequest {
            name: name.map(str::to_owned),
            ..request(USER_AGENT, verb, resource, sub)
        }
    }

    #[test]
    fn a_new_users_calls_are_told_apart_by_its_id_and_the_objects_it_names() {
        let owner = Owner {
            user_id: "u-new".to_owned(),
            name: "bench-00004".to_owned(),
            secret: "bench-00004-zitadel".to_owned(),
        };
        let zitadel = ApiCounts {
            zitadel: rpcs(&[("CreateUser", 1), ("GetUserByID", 5), ("ListUsers", 1)]),
            zitadel_by_user: [
                (
                    "u-new".to_owned(),
                    rpcs(&[("CreateUser", 1), ("GetUserByID", 1)]),
                ),
                ("u-old".to_owned(), rpcs(&[("GetUserByID", 4)])),
            ]
            .into_iter()
            .collect(),
            kube: BTreeMap::new(),
        };
        let requests = [
            named("patch", "users", None, Some("bench-00004")),
            named("patch", "users", Some("status"), Some("bench-00004")),
            named("get", "secrets", None, Some("bench-00004-zitadel")),
            named("create", "events", None, None),
            named("patch", "events", None, Some("bench-00004.18a2f3")),
            named("patch", "events", None, Some("bench-000040.18a2f3")),
            named("get", "secrets", None, Some("bench-00000-zitadel")),
            named("patch", "users", Some("status"), Some("bench-00001")),
        ];
        let split = split(&zitadel, &requests, &owner);
        assert_eq!(
            split.owner.zitadel,
            rpcs(&[("CreateUser", 1), ("GetUserByID", 1)])
        );
        assert_eq!(
            split.others.zitadel,
            rpcs(&[("GetUserByID", 4), ("ListUsers", 1)])
        );
        assert!(!split.others.zitadel_by_user.contains_key("u-new"));
        assert_eq!(split.owner.kube_total(), 5, "creates name no object");
        assert_eq!(split.owner.kube_writes(), 4);
        assert_eq!(split.others.kube_total(), 3);
        assert_eq!(
            split.others.kube_writes(),
            2,
            "another user's event and status"
        );
    }

    #[test]
    fn calls_are_grouped_by_the_kind_of_user_they_name() {
        let counts = ApiCounts {
            zitadel: rpcs(&[("CreateUser", 3), ("GetUserByID", 4), ("ListUsers", 2)]),
            zitadel_by_user: [
                ("a", rpcs(&[("CreateUser", 1), ("GetUserByID", 2)])),
                ("b", rpcs(&[("CreateUser", 1), ("GetUserByID", 1)])),
                ("c", rpcs(&[("CreateUser", 1)])),
                ("stranger", rpcs(&[("GetUserByID", 1)])),
            ]
            .into_iter()
            .map(|(id, calls)| (id.to_owned(), calls))
            .collect(),
            kube: BTreeMap::new(),
        };
        let kinds = [
            ("a", Kind::ReturnCode),
            ("b", Kind::ReturnCode),
            ("c", Kind::Machine),
            ("d", Kind::Machine),
        ]
        .into_iter()
        .map(|(id, kind)| (id.to_owned(), kind))
        .collect();
        let grouped = CallsByKind::of(&counts, &kinds);
        assert_eq!(
            grouped.kinds[&Kind::ReturnCode],
            (2, rpcs(&[("CreateUser", 2), ("GetUserByID", 3)]))
        );
        assert_eq!(
            grouped.kinds[&Kind::Machine],
            (2, rpcs(&[("CreateUser", 1)])),
            "a user without calls still counts"
        );
        assert_eq!(
            grouped.unattributed,
            rpcs(&[("GetUserByID", 1), ("ListUsers", 2)])
        );
    }

    #[test]
    fn reads_and_writes_are_told_apart_on_both_apis() {
        let counts = ApiCounts {
            zitadel: [
                ("GetUserByID", 4),
                ("ListUserMetadata", 4),
                ("CreateUser", 2),
            ]
            .into_iter()
            .map(|(rpc, n)| (rpc.to_owned(), n))
            .collect(),
            kube: count_operator_requests(&[
                request(USER_AGENT, "get", "secrets", None),
                request(USER_AGENT, "create", "secrets", None),
                request(USER_AGENT, "list", "", None),
            ]),
            ..ApiCounts::default()
        };
        assert_eq!(counts.zitadel_reads(), 8);
        assert_eq!(counts.zitadel_writes(), 2);
        assert_eq!(counts.kube_writes(), 1);
        assert_eq!(counts.kube_total(), 3);
    }
}
