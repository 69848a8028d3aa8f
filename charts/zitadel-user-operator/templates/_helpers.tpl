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

{{/* Directory where the credentials Secret is mounted (read-only). */}}
{{- define "zitadel-user-operator.credentialsDir" -}}
/var/run/zitadel
{{- end }}

{{/* Key of the credentials Secret; the default depends on the credentials type. */}}
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

{{/* Environment variable that receives the credentials file path. */}}
{{- define "zitadel-user-operator.credentialsEnv" -}}
{{- if eq .Values.zitadel.credentials.type "serviceAccountKey" }}ZITADEL_KEY_FILE{{ else }}ZITADEL_PAT_FILE{{ end }}
{{- end }}

{{/*
Checks that values.schema.json cannot express with a readable message (required values, rules across values).
Included by the Deployment, so every render runs them.
*/}}
{{- define "zitadel-user-operator.validate" -}}
{{- if not .Values.zitadel.url }}
{{- fail "zitadel.url is required: the base URL of ZITADEL, e.g. --set zitadel.url=https://zitadel.example.com" }}
{{- end }}
{{- if not .Values.zitadel.credentials.existingSecret }}
{{- fail "zitadel.credentials.existingSecret is required: the name of a Secret in the release namespace holding the operator's ZITADEL credentials (the chart does not create it)" }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount=%d requires leaderElection.enabled=true: without the Lease every replica would reconcile the same Users at once" (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
