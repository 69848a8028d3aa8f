{{/* Names, labels and derived values shared by all templates. */}}

{{/* Chart name, overridable. */}}
{{- define "zitadel-user-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. Not doubled when the release name already contains the chart name.
Truncated to 63 characters because some fields (label values, Service names) are limited to that.
*/}}
{{- define "zitadel-user-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "zitadel-user-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the controller pods; stable across upgrades (Deployment selectors are immutable). */}}
{{- define "zitadel-user-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zitadel-user-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Labels on every object of the release. */}}
{{- define "zitadel-user-operator.labels" -}}
helm.sh/chart: {{ include "zitadel-user-operator.chart" . }}
{{ include "zitadel-user-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zitadel-user-operator
{{- end }}

{{- define "zitadel-user-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zitadel-user-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create=false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "zitadel-user-operator.leaseName" -}}
{{- default (include "zitadel-user-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "zitadel-user-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Key of the default connection's credential Secret; the default depends on the credentials type. */}}
{{- define "zitadel-user-operator.credentialsKey" -}}
{{- $c := .Values.zitadel.credentials }}
{{- if $c.key }}
{{- $c.key }}
{{- else if eq $c.type "serviceAccountKey" }}
{{- "key.json" }}
{{- else }}
{{- "pat" }}
{{- end }}
{{- end }}

{{/* The connection's `credentials.type` for the chart's short `zitadel.credentials.type`. */}}
{{- define "zitadel-user-operator.credentialsType" -}}
{{- if eq .Values.zitadel.credentials.type "serviceAccountKey" }}ServiceAccountKey{{ else }}PersonalAccessToken{{ end }}
{{- end }}

{{/*
Checks that values.schema.json cannot express with a readable message (required values, rules across values).
Included by the Deployment, so every render runs them.
*/}}
{{- define "zitadel-user-operator.validate" -}}
{{- if hasKey .Values "allowAdoption" }}
{{- fail "allowAdoption moved to zitadel.allowAdoption: adoption is now allowed per connection (the default ClusterZitadelConnection takes it from zitadel.allowAdoption)" }}
{{- end }}
{{- if .Values.defaultConnection.enabled }}
{{- if not .Values.zitadel.url }}
{{- fail "zitadel.url is required for the default connection: the base URL of ZITADEL, e.g. --set zitadel.url=https://zitadel.example.com (or defaultConnection.enabled=false)" }}
{{- end }}
{{- if not .Values.zitadel.credentials.existingSecret }}
{{- fail "zitadel.credentials.existingSecret is required for the default connection: the name of a Secret in the release namespace holding the operator's ZITADEL credential (the chart does not create it)" }}
{{- end }}
{{- if not .Values.zitadel.organizations }}
{{- fail "zitadel.organizations is required for the default connection: the ids of the ZITADEL organizations its Users may manage, e.g. --set 'zitadel.organizations={123456789012345678}'" }}
{{- end }}
{{- if not (kindIs "map" .Values.zitadel.allowedNamespaces) }}
{{- fail "zitadel.allowedNamespaces is required for the default connection: a label selector of the namespaces whose Users may use it, {} for all (e.g. --set-json 'zitadel.allowedNamespaces={}' or matchLabels)" }}
{{- end }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount=%d requires leaderElection.enabled=true: without the Lease every replica would reconcile the same Users at once" (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
