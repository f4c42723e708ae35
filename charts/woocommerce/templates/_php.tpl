{{/*
The PHP and Apache settings (configmap-php.yaml's data). Pods carry its checksum: a
change rolls them (PHP and Apache read their settings at start only). It names no store,
so stores with the same settings carry the same checksum.
*/}}
{{- define "woocommerce.phpConfig" -}}
{{- $php := .Values.wordpress.php -}}
{{- $workers := include "woocommerce.apacheWorkers" . | int -}}
{{- $upload := trimSuffix "M" $php.uploadMaxSize | int -}}
wordpress.ini: |
  ; memory_limit times MaxRequestWorkers (storedesk-prefork.conf) fits the container's
  ; {{ .Values.wordpress.resources.limits.memory }} memory limit.
  memory_limit = {{ $php.memoryLimit }}
  upload_max_filesize = {{ $php.uploadMaxSize }}
  ; A form with an upload also carries its other fields.
  post_max_size = {{ add $upload 8 }}M
  ; WooCommerce's variable products post more fields than PHP's default 1000.
  max_input_vars = 5000
  expose_php = Off
prefork.conf: |
  # {{ $workers }} workers of at most {{ $php.memoryLimit }} PHP each fit the container's
  # {{ .Values.wordpress.resources.limits.memory }} memory limit (see the chart README).
  <IfModule mpm_prefork_module>
      StartServers            {{ min 2 $workers }}
      MinSpareServers         1
      MaxSpareServers         {{ $workers }}
      ServerLimit             {{ $workers }}
      MaxRequestWorkers       {{ $workers }}
      # A child is recycled now and then, so a leaking plugin cannot grow it for ever.
      MaxConnectionsPerChild  1000
  </IfModule>
  # With few workers an idle keep-alive connection must not hold one for long.
  KeepAliveTimeout 2
setup.ini: |
  ; The setup Job's container has a {{ .Values.setup.resources.limits.memory }} memory limit.
  memory_limit = {{ include "woocommerce.cliMemoryLimit" .Values.setup.resources.limits.memory }}
{{- if .Values.cron.enabled }}
cron.ini: |
  ; The cron Job's container has a {{ .Values.cron.resources.limits.memory }} memory limit.
  memory_limit = {{ include "woocommerce.cliMemoryLimit" .Values.cron.resources.limits.memory }}
{{- end }}
{{- end -}}
