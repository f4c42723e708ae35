{{/*
What every store chart shares comes from the storedesk-lib library chart
(charts/storedesk-lib, copied into charts/): these names stay as the templates call them.
*/}}
{{- define "woocommerce.store" -}}{{ include "storedesk.store" . }}{{- end -}}
{{- define "woocommerce.host" -}}{{ include "storedesk.host" . }}{{- end -}}
{{- define "woocommerce.tls" -}}{{ include "storedesk.tls" . }}{{- end -}}
{{- /* The store's address as the browser uses it, without a trailing slash (as WordPress
keeps `home` and `siteurl`), with urlPort when shoppers reach it on another port. */ -}}
{{- define "woocommerce.url" -}}{{ include "storedesk.url" . }}{{- end -}}
{{- define "woocommerce.labels" -}}{{ include "storedesk.labels" . }}{{- end -}}
{{- define "woocommerce.selectorLabels" -}}{{ include "storedesk.selectorLabels" . }}{{- end -}}
{{- define "woocommerce.image" -}}{{ include "storedesk.image" . }}{{- end -}}
{{- define "woocommerce.podSecurityContext" -}}{{ include "storedesk.podSecurityContext" . }}{{- end -}}
{{- define "woocommerce.containerSecurityContext" -}}{{ include "storedesk.containerSecurityContext" . }}{{- end -}}
{{- define "woocommerce.credentials" -}}{{ include "storedesk.credentials" . }}{{- end -}}

{{- define "woocommerce.adminEmail" -}}
{{- .Values.auth.adminEmail | default (printf "admin@%s" (include "woocommerce.host" .)) -}}
{{- end -}}

{{/*
Names of the objects, shared between templates.
*/}}
{{- define "woocommerce.wordpress" -}}{{ .Release.Name }}-wordpress{{- end -}}
{{- define "woocommerce.database" -}}{{ .Release.Name }}-database{{- end -}}

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

{{/*
A memory quantity (e.g. 768Mi, 1.5Gi, 2G, 805306368) in whole MiB, rounded down. Only for
the PHP and Apache arithmetic below, which must agree with the containers' limits.
*/}}
{{- define "woocommerce.mebibytes" -}}
{{- $text := ternary (printf "%.0f" .) (toString .) (kindIs "float64" .) -}}
{{- $number := regexFind "^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)" $text -}}
{{- $unit := trimPrefix $number $text -}}
{{- $scale := dict "" 0.00000095367431640625 "k" 0.00095367431640625 "Ki" 0.0009765625 "M" 0.95367431640625 "Mi" 1.0 "G" 953.67431640625 "Gi" 1024.0 "T" 953674.31640625 "Ti" 1048576.0 -}}
{{- if or (not $number) (not (hasKey $scale $unit)) -}}
{{- fail (printf "cannot read the memory quantity %q (use Mi or Gi)" $text) -}}
{{- end -}}
{{- mulf (float64 $number) (get $scale $unit) | floor | int -}}
{{- end -}}

{{/*
PHP's memory_limit for WordPress in MiB (wordpress.php.memoryLimit, e.g. "256M").
*/}}
{{- define "woocommerce.phpMemoryMi" -}}
{{- trimSuffix "M" .Values.wordpress.php.memoryLimit | int -}}
{{- end -}}

{{/*
How many Apache (prefork) workers fit in the WordPress container's memory limit, each
allowed PHP's whole memory_limit: a worker count that can never add up to more than the
limit, so the kernel never OOM-kills the container (and every request it serves) under
load; extra requests wait in Apache's queue instead. Reserved once: 128 MiB of OPcache
shared memory (the image's opcache-recommended.ini) and 64 MiB for Apache's parent and
PHP's own start-up; per worker, 32 MiB of Apache child on top of PHP's memory_limit.
Rendering stops when not even one worker fits.
*/}}
{{- define "woocommerce.apacheWorkers" -}}
{{- $limit := include "woocommerce.mebibytes" .Values.wordpress.resources.limits.memory | int -}}
{{- $php := include "woocommerce.phpMemoryMi" . | int -}}
{{- $workers := div (sub $limit 192) (add $php 32) -}}
{{- if lt $workers 1 -}}
{{- fail (printf "wordpress.resources.limits.memory (%s) leaves no room for one Apache worker with wordpress.php.memoryLimit %s: it needs at least %dMi" (toString .Values.wordpress.resources.limits.memory) .Values.wordpress.php.memoryLimit (add 192 $php 32)) -}}
{{- end -}}
{{- $workers -}}
{{- end -}}

{{/*
PHP's memory_limit for WP-CLI in a container whose memory limit is `.` (a quantity): the
limit less 128 MiB for the PHP binary, the WP-CLI phar and the shell around them, so a
command that needs too much stops with PHP's "Allowed memory size exhausted", not an
OOM kill without a message. The wordpress:cli image has no php.ini (128M otherwise).
*/}}
{{- define "woocommerce.cliMemoryLimit" -}}
{{- $limit := include "woocommerce.mebibytes" . | int -}}
{{- if lt $limit 256 -}}
{{- fail (printf "a WP-CLI container needs a memory limit of at least 256Mi (got %s)" (toString .)) -}}
{{- end -}}
{{- printf "%dM" (sub $limit 128) -}}
{{- end -}}

{{/*
wp-config.php additions (the image's wp-config-docker.php evals WORDPRESS_CONFIG_EXTRA),
the same for WordPress, the setup Job and the cron Job:
- WP-Cron runs from the CronJob, not on shoppers' page requests (a slow or failing
  scheduled task would otherwise hold a shopper's request, and a store nobody visits would
  never run its tasks);
- WordPress's own memory limits equal PHP's: WordPress would otherwise raise memory_limit
  to 256M on admin pages (WP_MAX_MEMORY_LIMIT) past what the worker count allows.
*/}}
{{- define "woocommerce.configEnv" -}}
- name: WORDPRESS_CONFIG_EXTRA
  value: |-
    define('DISABLE_WP_CRON', true);
    define('WP_MEMORY_LIMIT', {{ .Values.wordpress.php.memoryLimit | squote }});
    define('WP_MAX_MEMORY_LIMIT', {{ .Values.wordpress.php.memoryLimit | squote }});
{{- end -}}

{{/*
The cron Jobs' and their pods' labels: the store's labels without storedesk.io/store.
Storedesk (storedesk/domain/status.py) reads every Job carrying the store label as the
setup Job: a cron run would show the store as provisioning every few minutes, and one
failed run as a failed store. The CronJob itself carries every label; its Jobs and pods
are found through it (and go with it).
*/}}
{{- define "woocommerce.cronLabels" -}}
{{- regexReplaceAll "(?m)^storedesk\\.io/store: .*$\\n?" (include "woocommerce.labels" (dict "root" . "component" "cron")) "" | trimSuffix "\n" -}}
{{- end -}}
