{{/* Names and labels. */}}
{{- define "oretrail.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oretrail.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. oretrail-worker */}}
{{- define "oretrail.component" -}}
{{- printf "%s-%s" (include "oretrail.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oretrail.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "oretrail.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: oretrail
{{- end -}}

{{/* selector labels of one component: {root, component} */}}
{{- define "oretrail.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oretrail.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "oretrail.componentLabels" -}}
{{ include "oretrail.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "oretrail.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "oretrail.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "oretrail.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "oretrail.workerReplicas" -}}
{{- if kindIs "invalid" .Values.worker.replicas -}}
{{- .Values.kafka.eventPartitions -}}
{{- else -}}
{{- .Values.worker.replicas -}}
{{- end -}}
{{- end -}}

{{- define "oretrail.signingSecretName" -}}
{{- default (printf "%s-signing" (include "oretrail.fullname" .)) .Values.sink.signing.existingSecret -}}
{{- end -}}

{{- define "oretrail.retiredKeysSecretName" -}}
{{- default (printf "%s-signing-retired" (include "oretrail.fullname" .)) .Values.sink.signing.retiredKeysSecret -}}
{{- end -}}

{{- define "oretrail.hasRetiredKeys" -}}
{{- if or .Values.sink.signing.retiredKeysSecret .Values.sink.signing.retiredKeys -}}true{{- end -}}
{{- end -}}

{{- define "oretrail.s3SecretName" -}}
{{- default (printf "%s-s3" (include "oretrail.fullname" .)) .Values.s3.existingSecret -}}
{{- end -}}

{{- define "oretrail.hasS3Keys" -}}
{{- if or .Values.s3.existingSecret .Values.s3.accessKeyId -}}true{{- end -}}
{{- end -}}

{{- define "oretrail.registrySecretName" -}}
{{- default (printf "%s-schema-registry" (include "oretrail.fullname" .)) .Values.schemaRegistry.existingSecret -}}
{{- end -}}

{{- define "oretrail.hasRegistryPassword" -}}
{{- if or .Values.schemaRegistry.existingSecret .Values.schemaRegistry.password -}}true{{- end -}}
{{- end -}}

{{/*
What every oretrail container shares: the common ConfigMap, the registry password, the
writable home and /tmp (the root filesystem is read-only), security context, image.
Called with {root, component, configMaps}.
*/}}
{{- define "oretrail.containerBase" -}}
image: {{ include "oretrail.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "oretrail.component" (dict "root" .root "component" "common") }}
  {{- range .configMaps }}
  - configMapRef:
      name: {{ . }}
  {{- end }}
{{- end -}}

{{- define "oretrail.registryPasswordEnv" -}}
{{- if include "oretrail.hasRegistryPassword" . }}
- name: ORETRAIL_SCHEMA_REGISTRY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "oretrail.registrySecretName" . }}
      key: password
{{- end }}
{{- end -}}

{{- define "oretrail.metricsEnv" -}}
{{- if .Values.metrics.enabled }}
{{- range $name, $value := .Values.metrics.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "oretrail.metricsPort" -}}
{{- if .Values.metrics.enabled }}
- name: metrics
  containerPort: {{ .Values.metrics.port }}
  protocol: TCP
{{- end }}
{{- end -}}

{{- define "oretrail.metricsServicePort" -}}
{{- if .Values.metrics.enabled }}
- name: metrics
  port: {{ .Values.metrics.port }}
  targetPort: metrics
  protocol: TCP
{{- end }}
{{- end -}}

{{/* the writable volumes every pod mounts: home (state, positions) and /tmp */}}
{{- define "oretrail.scratchVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "oretrail.podSpecCommon" -}}
serviceAccountName: {{ include "oretrail.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* spread a component's pods over nodes where the scheduler can: {root, component} */}}
{{- define "oretrail.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "oretrail.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* checksums of the ConfigMaps and Secrets a pod reads, so a change rolls its pods */}}
{{- define "oretrail.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- /* not secrets.yaml itself: a key generated at render time differs on every render */}}
checksum/secrets: {{ toJson (list .Values.sink.signing .Values.s3 .Values.schemaRegistry) | sha256sum }}
{{- end -}}
