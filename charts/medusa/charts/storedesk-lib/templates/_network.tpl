{{/*
NetworkPolicies every store has. Everything is denied unless a policy allows it; the
store chart adds the policies of its own components, using the rules below.
*/}}

{{/*
Deny every connection to and from the store's pods that no other policy allows.
*/}}
{{- define "storedesk.networkPolicy.defaultDeny" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-default-deny
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "network-policy") | nindent 4 }}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
{{- end -}}

{{/*
Every pod of the store may resolve names, at the cluster DNS only (networkPolicy.dns).
*/}}
{{- define "storedesk.networkPolicy.dns" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-dns
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "network-policy") | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name | quote }}
  policyTypes: [Egress]
  egress:
    # Only the cluster DNS: a resolver anywhere else is a way out (DNS tunnelling).
    {{- $dns := .Values.networkPolicy.dns }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $dns.namespace | quote }}
          podSelector:
            {{- if $dns.podLabels }}
            matchLabels:
              {{- range $key, $value := $dns.podLabels }}
              {{ $key }}: {{ $value | quote }}
              {{- end }}
            {{- else }} {}
            {{- end }}
        {{- range $dns.cidrs }}
        - ipBlock: {cidr: {{ . | quote }}}
        {{- end }}
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
{{- end -}}

{{/*
Egress rules (list items, to nindent under `egress:`) to the internet on 80/443 and to
the ingress controller, when networkPolicy.internetEgress; empty otherwise.
*/}}
{{- define "storedesk.egress.internet" -}}
{{- if .Values.networkPolicy.internetEgress }}
{{- $private := .Values.networkPolicy.privateEgress -}}
# The internet. Never the link-local ranges: 169.254.169.254 (and AWS's fd00:ec2::254)
# is the cloud metadata service, which hands out the node's credentials. Unless
# privateEgress, no private range either: those are the cluster's own pods and
# Services, the nodes and the LAN, not the internet. The database and DNS have rules
# of their own.
- to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except:
          - 169.254.0.0/16
          {{- if not $private }}
          - 10.0.0.0/8
          - 100.64.0.0/10
          - 172.16.0.0/12
          - 192.168.0.0/16
          {{- end }}
    - ipBlock:
        cidr: "::/0"
        except:
          - "fe80::/10"
          - {{ ternary "fd00:ec2::254/128" "fc00::/7" $private | quote }}
  ports:
    - {protocol: TCP, port: 80}
    - {protocol: TCP, port: 443}
# The store's own address seen from inside the cluster: kube-proxy rewrites a load
# balancer's address to the ingress controller's pods, in a private range.
- to:
    {{- range include "storedesk.ingress.controllerNamespaces" . | fromJsonArray }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ . | quote }}
    {{- end }}
  ports:
    - {protocol: TCP, port: 80}
    - {protocol: TCP, port: 443}
{{- end }}
{{- end -}}

{{/*
The namespaces whose pods serve the store's IngressClass, as a JSON list:
ingress.controllerNamespaces when it names any (Storedesk passes the namespaces it finds the
class's controller pods in), else ingress.controllerNamespace (one namespace, the chart's
default). Only these namespaces, never a guess, may reach the store from the cluster.
*/}}
{{- define "storedesk.ingress.controllerNamespaces" -}}
{{- $ingress := .Values.ingress -}}
{{- if $ingress.controllerNamespaces -}}
{{- $ingress.controllerNamespaces | uniq | toJson -}}
{{- else if $ingress.controllerNamespace -}}
{{- list $ingress.controllerNamespace | toJson -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/*
Ingress rules (list items, to nindent under `ingress:`): the ingress controller's
namespaces and the store's own namespace may connect on `port`. With
ingress.controllerOutsideCluster, any source may: a proxy outside the cluster (the Envoy
cloud-provider-kind runs beside the kind nodes) arrives from an address no namespace or
pod selector matches, and the node addresses it uses are not known when the chart renders.
Call with (dict "root" $ "port" 9000).
*/}}
{{- define "storedesk.ingress.fromController" -}}
- from:
    {{- range include "storedesk.ingress.controllerNamespaces" .root | fromJsonArray }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ . | quote }}
    {{- end }}
    - podSelector: {}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- if .root.Values.ingress.controllerOutsideCluster }}
- ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end }}
{{- end -}}

{{/*
cert-manager's HTTP-01 solver: with a cert-manager issuer, cert-manager starts solver pods
in the store's namespace (label acme.cert-manager.io/http01-solver: "true", port 8089) and
routes /.well-known/acme-challenge/ to them through the ingress controller; the
default-deny policy would drop that traffic and the certificate would never be issued.
Renders nothing without an issuer. The solver pods need no egress: cert-manager's
self-check and the ACME server come in through the controller.
*/}}
{{- define "storedesk.networkPolicy.acmeSolver" -}}
{{- $tls := include "storedesk.tls" . | fromJson -}}
{{- if or $tls.issuer $tls.clusterIssuer -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Release.Name }}-acme-solver
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "network-policy") | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      acme.cert-manager.io/http01-solver: "true"
  policyTypes: [Ingress]
  ingress:
    {{- include "storedesk.ingress.fromController" (dict "root" . "port" 8089) | nindent 4 }}
{{- end -}}
{{- end -}}
