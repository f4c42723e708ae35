{{/*
The store's name; rendering stops here when it is missing.
*/}}
{{- define "woocommerce.store" -}}
{{- required "storeName is required: the store's name (a DNS-1123 label of at most 20 characters)" .Values.storeName -}}
{{- end -}}

{{/*
Where shoppers reach the store.
*/}}
{{- define "woocommerce.host" -}}
{{- printf "%s.%s" (include "woocommerce.store" .) .Values.domain -}}
{{- end -}}

{{/*
ingress.tls as one shape: {enabled, secretName, issuer, clusterIssuer}. It may be null
(plain HTTP), a boolean (Storedesk's "HTTPS" option: the controller's default certificate)
or an object.
*/}}
{{- define "woocommerce.tls" -}}
{{- $tls := .Values.ingress.tls -}}
{{- if kindIs "map" $tls -}}
{{- $issued := or $tls.issuer $tls.clusterIssuer -}}
{{- $secret := $tls.secretName | default (ternary (printf "%s-tls" .Release.Name) "" (not (empty $issued))) -}}
{{- dict "enabled" (ne false $tls.enabled) "secretName" $secret "issuer" ($tls.issuer | default "") "clusterIssuer" ($tls.clusterIssuer | default "") | toJson -}}
{{- else -}}
{{- dict "enabled" (and (kindIs "bool" $tls) $tls) "secretName" "" "issuer" "" "clusterIssuer" "" | toJson -}}
{{- end -}}
{{- end -}}

{{/*
The store's address as the browser uses it, without a trailing slash (as WordPress keeps
`home` and `siteurl`): with urlPort when shoppers reach it on another port than 80/443
(Storedesk's port-forward), so WordPress never redirects them off it.
*/}}
{{- define "woocommerce.url" -}}
{{- $tls := include "woocommerce.tls" . | fromJson -}}
{{- $port := ternary (printf ":%v" .Values.urlPort) "" (not (empty .Values.urlPort)) -}}
{{- printf "%s://%s%s" (ternary "https" "http" $tls.enabled) (include "woocommerce.host" .) $port -}}
{{- end -}}

{{- define "woocommerce.adminEmail" -}}
{{- .Values.auth.adminEmail | default (printf "admin@%s" (include "woocommerce.host" .)) -}}
{{- end -}}

{{/*
Labels every object carries. Call with (dict "root" $ "component" "wordpress").
storedesk.io/store and storedesk.io/engine let Storedesk find every store object with
one selector. Every value is quoted: YAML reads a bare yes, no, on, off, y, n, true,
false or null as a boolean or null, which a label cannot hold, and a store or release
may carry such a name.
*/}}
{{- define "woocommerce.labels" -}}
{{ include "woocommerce.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: "storedesk"
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | quote }}
storedesk.io/store: {{ include "woocommerce.store" .root | quote }}
storedesk.io/engine: "woocommerce"
{{- end -}}

{{/*
The labels a controller selects its pods by (immutable once created).
*/}}
{{- define "woocommerce.selectorLabels" -}}
app.kubernetes.io/name: "woocommerce"
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component | quote }}
{{- end -}}

{{/*
Names of the objects, shared between templates.
*/}}
{{- define "woocommerce.credentials" -}}{{ .Release.Name }}-credentials{{- end -}}
{{- define "woocommerce.wordpress" -}}{{ .Release.Name }}-wordpress{{- end -}}
{{- define "woocommerce.database" -}}{{ .Release.Name }}-database{{- end -}}

{{/*
A container image reference from {repository, tag, digest}: repository:tag@digest when the
digest is set, so every node runs the very image that was pinned, not whatever the tag
names today (the runtime pulls by digest; the tag stays for people reading it).
*/}}
{{- define "woocommerce.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- with .digest }}@{{ . }}{{ end -}}
{{- end -}}

{{/*
The pod-level security context shared by every pod: a non-root user (the image's own),
the runtime's default seccomp profile, files on volumes owned by the pod's group.
Call with (dict "uid" 33).
*/}}
{{- define "woocommerce.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The container-level security context shared by every container. No capability is added
back: each image here runs as its non-root user and needs none.
*/}}
{{- define "woocommerce.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The environment WordPress's wp-config.php reads (the image generates wp-config.php that
reads these variables at run time), shared by WordPress and the setup Job.
*/}}
{{- define "woocommerce.dbEnv" -}}
- name: WORDPRESS_DB_HOST
  value: {{ include "woocommerce.database" . }}:3306
- name: WORDPRESS_DB_NAME
  value: wordpress
- name: WORDPRESS_DB_USER
  value: wordpress
- name: WORDPRESS_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "woocommerce.credentials" . }}
      key: database-password
{{- end -}}

{{/*
Keeps pods that share the ReadWriteOnce WordPress volume on one node.
*/}}
{{- define "woocommerce.wordpressAffinity" -}}
{{- if eq .Values.wordpress.persistence.accessMode "ReadWriteOnce" -}}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "woocommerce.selectorLabels" (dict "root" . "component" "wordpress") | nindent 12 }}
{{- end }}
{{- end -}}
