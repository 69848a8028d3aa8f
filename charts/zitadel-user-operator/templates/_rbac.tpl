{{/*
THE place for the operator's permissions: every (Cluster)Role of the chart renders its rules from here.
Keep them equal to what the code requests (the RBAC test compares them with the API server request log).
*/}}

{{/* Rules in every watched namespace (cluster-wide: one ClusterRole). */}}
{{- define "zitadel-user-operator.rbacRules" -}}
# list/watch feed the controller's cache, which every read goes through (no get); patch adds and
# removes the finalizer.
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["users"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["users/status"]
  verbs: ["patch"]
# Setting an owner reference with blockOwnerDeletion on a Secret needs update on the owner's finalizers.
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["users/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# The Ready condition of the ZitadelConnections (the connection controller). Their credential
# Secrets are read with the `get` on secrets above.
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["zitadelconnections/status"]
  verbs: ["patch"]
{{- end }}

{{/*
Rules for the whole cluster, in both watch modes: the operator caches every connection and every
Namespace (a ClusterZitadelConnection admits namespaces by label) and reports cluster connections'
Ready condition. ZitadelConnections are listed in all namespaces, also in namespaced mode.
*/}}
{{- define "zitadel-user-operator.clusterRules" -}}
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["zitadelconnections", "clusterzitadelconnections"]
  verbs: ["list", "watch"]
- apiGroups: ["zitadel-user-operator.dev"]
  resources: ["clusterzitadelconnections/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
{{- end }}

{{/*
Rules in the release namespace (the operator's), in both watch modes: the credential Secrets of
ClusterZitadelConnections live there. Read one by one (get), never listed or watched.
*/}}
{{- define "zitadel-user-operator.operatorNamespaceRules" -}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}

{{/* Rules in the release namespace only, when leader election is on. */}}
{{- define "zitadel-user-operator.leaderElectionRules" -}}
# create cannot be limited by name (the name is not known before the object exists); the rest can.
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  resourceNames: [{{ include "zitadel-user-operator.leaseName" . | quote }}]
  # kube-lease-manager reads the Lease and changes it with patches only (never a PUT/update).
  verbs: ["get", "patch"]
{{- end }}
