//! API calls the operator made: ZITADEL calls by RPC (the emulator's counters) and Kubernetes
//! requests by verb and resource (the emulator's request log, filtered by the operator's
//! `User-Agent`).

use std::collections::BTreeMap;

use kube_emulator::{KubeEmulator, RecordedRequest};
use zitadel_emulator::ZitadelEmulator;
use zitadel_user_operator::names::USER_AGENT;

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

/// Calls counted since the last [`ApiCounts::reset`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCounts {
    /// ZITADEL calls by RPC name.
    pub zitadel: BTreeMap<String, usize>,
    /// The operator's Kubernetes requests by type.
    pub kube: BTreeMap<KubeRequest, usize>,
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
            kube: count_operator_requests(&kube.requests()),
        }
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

fn count_operator_requests(requests: &[RecordedRequest]) -> BTreeMap<KubeRequest, usize> {
    let mut counts = BTreeMap::new();
    for request in requests.iter().filter(|r| r.user_agent == USER_AGENT) {
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
        };
        assert_eq!(counts.zitadel_reads(), 8);
        assert_eq!(counts.zitadel_writes(), 2);
        assert_eq!(counts.kube_writes(), 1);
        assert_eq!(counts.kube_total(), 3);
    }
}
