{{/*
Storedesk's library chart: what every store chart shares. Each template takes the store
chart's root context (or a dict holding it as "root"), so names, labels and values are the
calling chart's own: the engine is .Chart.Name, the store .Values.storeName.
*/}}

{{/*
The store's name; rendering stops here when it is missing.
*/}}
{{- define "storedesk.store" -}}
{{- required "storeName is required: the store's name (a DNS-1123 label of at most 20 characters)" .Values.storeName -}}
{{- end -}}

{{/*
Where shoppers reach the store: <storeName>.<domain> (the Ingress host, without a port).
*/}}
{{- define "storedesk.host" -}}
{{- printf "%s.%s" (include "storedesk.store" .) .Values.domain -}}
{{- end -}}

{{/*
ingress.tls as one shape: {enabled, secretName, issuer, clusterIssuer}. It may be null
(plain HTTP), a boolean (Storedesk's "HTTPS" option: the controller's default certificate)
or an object.
*/}}
{{- define "storedesk.tls" -}}
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
The store's address as a browser uses it, without a trailing slash. .Values.urlPort, when
a chart has it and it is set, is the port the browser uses (e.g. a kind cluster mapped to
the host's 8080); the Ingress still matches the host alone.
*/}}
{{- define "storedesk.url" -}}
{{- $tls := include "storedesk.tls" . | fromJson -}}
{{- printf "%s://%s" (ternary "https" "http" $tls.enabled) (include "storedesk.host" .) -}}
{{- with .Values.urlPort }}:{{ . }}{{ end -}}
{{- end -}}

{{/*
The in-cluster Secret holding the store's credentials.
*/}}
{{- define "storedesk.credentials" -}}{{ .Release.Name }}-credentials{{- end -}}
