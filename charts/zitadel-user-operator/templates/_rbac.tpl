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
