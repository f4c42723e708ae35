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
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.ingress.controllerNamespace | quote }}
  ports:
    - {protocol: TCP, port: 80}
    - {protocol: TCP, port: 443}
{{- end }}
{{- end -}}

{{/*
An ingress rule (a list item, to nindent under `ingress:`): the ingress controller's
namespace and the store's own namespace may connect on `port`.
Call with (dict "root" $ "port" 9000).
*/}}
{{- define "storedesk.ingress.fromController" -}}
- from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .root.Values.ingress.controllerNamespace | quote }}
    - podSelector: {}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end -}}
