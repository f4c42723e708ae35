#!/usr/bin/env bash
# The Medusa store's setup, run by the setup Job (a post-install/upgrade/rollback hook).
#
# First run, on an empty volume (Medusa v2 publishes no server image; its docs build the
# application from the starter):
#   1. fetch the pinned medusa-starter-default commit (needs the internet: GitHub and
#      the npm registry);
#   2. replace its medusa-config.ts with Storedesk's, install its locked dependencies
#      with the starter's own Yarn, `medusa build`;
#   3. `medusa db:migrate`, then mark the build ready (the server pod waits for it);
#   4. seed the store and create the admin (files/seed.js, through `medusa exec`).
# Later runs find the build ready and only migrate, and seed only a store that lacks
# its publishable key or admin. Builds live in $DATA/builds/<build id>: a chart that
# pins another starter, config or Node builds anew beside the running one.
#
# Secrets arrive in the environment from the store's Secret, never in argv.
# A failing step stops the Job with "setup: FAILED while <step> (exit code N)".
set -euo pipefail

step="starting"
# Subshells do not inherit this trap: a failure is reported once, by the script.
report() {
  local code=$?
  if ((code)); then
    echo "setup: FAILED while ${step} (exit code ${code})" >&2
  fi
}
trap report EXIT

log() { echo "setup: $*"; }

: "${DATA:?DATA is required}" "${BUILD_ID:?BUILD_ID is required}"
: "${STARTER_REPOSITORY:?}" "${STARTER_COMMIT:?}" "${MEDUSA_VERSION:?}"
: "${DATABASE_HOST:?}" "${REDIS_HOST:?}"
: "${SCRIPTS:=/opt/storedesk}" "${WAIT_SECONDS:=300}" "${DATABASE_PORT:=5432}" "${REDIS_PORT:=6379}"

app="${DATA}/builds/${BUILD_ID}"
server="${app}/.medusa/server"
ready="${app}/.storedesk-ready"

# -- helpers ---------------------------------------------------------------------------

# wait_for HOST PORT WHAT: until a TCP connection opens, or fail after WAIT_SECONDS.
wait_for() {
  step="waiting for $3 at $1:$2"
  local deadline=$((SECONDS + WAIT_SECONDS))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$3 did not answer at $1:$2 within ${WAIT_SECONDS}s"
      return 1
    fi
    sleep 2
  done
  log "$3 answers at $1:$2"
}

medusa() { (cd "${server}" && "${app}/node_modules/.bin/medusa" "$@"); }

# Whether the store already has Storedesk's publishable key and admin (a quick query
# with the app's own pg client, instead of booting Medusa for the seed to find out).
seeded() {
  (cd "${app}" && node - <<'JS'
const { Client } = require("module").createRequire(process.cwd() + "/package.json")("pg")
const client = new Client({ connectionString: process.env.DATABASE_URL })
client.connect()
  .then(async () => {
    const key = await client.query(
      "select 1 from api_key where token = $1 and deleted_at is null",
      [process.env.PUBLISHABLE_KEY])
    const user = await client.query(
      'select 1 from "user" where email = $1 and deleted_at is null',
      [process.env.ADMIN_EMAIL])
    process.exit(key.rowCount && user.rowCount ? 0 : 1)
  })
  .catch(() => process.exit(1))
JS
  )
}

build() {
  log "building Medusa ${MEDUSA_VERSION} from ${STARTER_REPOSITORY} at ${STARTER_COMMIT} (build ${BUILD_ID})"
  step="fetching the starter"
  rm -rf "${app}"
  mkdir -p "${app}"
  git -C "${app}" init -q
  git -C "${app}" fetch -q --depth 1 "${STARTER_REPOSITORY}" "${STARTER_COMMIT}"
  git -C "${app}" -c advice.detachedHead=false checkout -q FETCH_HEAD
  rm -rf "${app}/.git"

  step="checking the starter's Medusa version"
  local pinned
  pinned="$(cd "${app}" && node -p 'require("./package.json").dependencies["@medusajs/medusa"]')"
  if [[ "${pinned}" != "${MEDUSA_VERSION}" ]]; then
    log "the starter pins @medusajs/medusa ${pinned}, the chart expects ${MEDUSA_VERSION}"
    return 1
  fi
  cp "${SCRIPTS}/medusa-config.ts" "${app}/medusa-config.ts"

  step="installing dependencies"
  # The starter's own Yarn release (its .yarnrc.yml yarnPath) and lockfile, unchanged.
  local yarn
  yarn="$(sed -n 's/^yarnPath: *//p' "${app}/.yarnrc.yml")"
  [[ -n "${yarn}" && -f "${app}/${yarn}" ]] || { log "the starter names no Yarn release"; return 1; }
  (cd "${app}" && node "${yarn}" install --immutable)

  step="building the server and the admin (medusa build)"
  (cd "${app}" && node_modules/.bin/medusa build)
  # Uploads (the local file provider) go to the build's static/ folder, which the
  # server pod mounts from the volume's uploads/ so they outlive builds.
  mkdir -p "${server}/static" "${DATA}/uploads"
}

# -- the run ---------------------------------------------------------------------------

mkdir -p "${DATA}/builds"
if [[ -f "${ready}" ]]; then
  log "build ${BUILD_ID} is ready"
else
  build
fi

wait_for "${DATABASE_HOST}" "${DATABASE_PORT}" "PostgreSQL"
wait_for "${REDIS_HOST}" "${REDIS_PORT}" "Redis"

step="migrating the database (medusa db:migrate)"
medusa db:migrate
touch "${ready}"

step="checking the seed"
if seeded; then
  log "the store already has its publishable key and admin"
else
  step="seeding the store (medusa exec seed.js)"
  medusa exec "${SCRIPTS}/seed.js"
  step="checking the seed"
  seeded || { log "the seed ran but the key or the admin is missing"; false; }
fi

step="removing older builds"
for old in "${DATA}/builds"/*; do
  [[ "${old}" == "${app}" ]] || rm -rf "${old}"
done
log "done: Medusa ${MEDUSA_VERSION} is set up (build ${BUILD_ID})"
