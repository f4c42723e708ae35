{{/*
A container image reference from {repository, tag, digest}: repository:tag@digest when the
digest is set, so every node runs the very image that was pinned, not whatever the tag
names today (the runtime pulls by digest; the tag stays for people reading it).
*/}}
{{- define "storedesk.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- with .digest }}@{{ . }}{{ end -}}
{{- end -}}

{{/*
The pod-level security context shared by every pod: a non-root user (the image's own),
the runtime's default seccomp profile, files on volumes owned by the pod's group.
Call with (dict "uid" 33).
*/}}
{{- define "storedesk.podSecurityContext" -}}
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
{{- define "storedesk.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
