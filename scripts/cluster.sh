#!/usr/bin/env bash
# The scale-out topology on one machine, from Debian's packages (docs/scaling.md):
#
#   HAProxy :BASE  ->  gunicorn app servers :BASE+10, :BASE+11 (2 workers x 4 threads each)
#   PostgreSQL primary (the machine's, PRIMARY_HOST:PRIMARY_PORT, database CLUSTER_DB)
#     -> streaming replica made by pg_basebackup -R, hot standby on :BASE+20 (reads)
#   Redis :BASE+30 (rate limits, job queue), two RQ webhook workers, moto S3 on :BASE+40
#
#   scripts/cluster.sh start | stop | status | env
#   drills: kill-app PORT | start-app PORT | stop-replica | start-replica | restart-redis
#           kill-worker N | start-worker N
#
# `make cluster` / `make cluster-stop`. Everything lives in CLUSTER_DIR and is removed by stop;
# the only change made outside it is one `host replication` line in the primary's pg_hba.conf
# (added once, when missing, then the configuration is reloaded: nothing is restarted).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BASE=${CLUSTER_BASE_PORT:-18700}
DIR=${CLUSTER_DIR:-/tmp/berdaya-cluster-$BASE}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
CLUSTER_DB=${CLUSTER_DB:-berdaya_cluster}
APP_WORKERS=${CLUSTER_APP_WORKERS:-2}
APP_THREADS=${CLUSTER_APP_THREADS:-4}
HAPROXY_PORT=$BASE
APP_PORTS=("$((BASE + 10))" "$((BASE + 11))")
REPLICA_PORT=$((BASE + 20))
REDIS_PORT=$((BASE + 30))
S3_PORT=$((BASE + 40))
VENV=$ROOT/.venv

say() { printf 'cluster: %s\n' "$*"; }
psql_primary() { "$PG_BIN/psql" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -Atqc "$1"; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq 1 $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  say "$what did not come up (logs in $DIR)"; return 1
}
http_ok() { "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"; }

write_env() {
  cat >"$DIR/env" <<EOF
export BERDAYA_ENV=production
export SECRET_KEY=$(cat "$DIR/secret")
export DATABASE_URL=postgresql://postgres@$PRIMARY_HOST:$PRIMARY_PORT/$CLUSTER_DB
export DATABASE_REPLICA_URL=postgresql://postgres@127.0.0.1:$REPLICA_PORT/$CLUSTER_DB
export RATE_LIMIT_STORAGE_URL=redis://127.0.0.1:$REDIS_PORT/0
export JOBS_BACKEND=rq
export JOBS_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/1
export STORAGE_BACKEND=s3
export S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
export S3_BUCKET=berdaya-photos
export S3_PRIVATE_BUCKET=berdaya-private
export S3_REGION=us-east-1
export S3_PUBLIC_URL=http://127.0.0.1:$S3_PORT/berdaya-photos
export AWS_ACCESS_KEY_ID=berdaya-cluster
export AWS_SECRET_ACCESS_KEY=berdaya-cluster
export TRUSTED_PROXY_HOPS=1
export PUBLIC_BASE_URL=http://127.0.0.1:$HAPROXY_PORT
export CLUSTER_URL=http://127.0.0.1:$HAPROXY_PORT
export CLUSTER_DIR=$DIR
export CLUSTER_APP_PORTS="${APP_PORTS[*]}"
export CLUSTER_REPLICA_PORT=$REPLICA_PORT
export CLUSTER_REDIS_PORT=$REDIS_PORT
EOF
  # More settings for every process (the drills shorten webhook timeouts), one per line.
  [ -z "${CLUSTER_EXTRA_ENV:-}" ] || printf '%s\n' "$CLUSTER_EXTRA_ENV" | sed 's/^/export /' >>"$DIR/env"
}

ensure_packages() {
  if ! command -v haproxy >/dev/null; then
    say "installing haproxy (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  fi
  command -v redis-server >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  }
}

ensure_replication_allowed() {
  local allowed
  allowed=$(psql_primary "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)
    AND (address IS NULL OR address = '127.0.0.1' OR type = 'local')")
  if [ "$allowed" = 0 ]; then
    local hba
    hba=$(psql_primary "SHOW hba_file")
    say "allowing replication from 127.0.0.1 in $hba (then reloading, not restarting)"
    printf '%s\n' "host replication all 127.0.0.1/32 trust  # berdaya cluster (scripts/cluster.sh)" >>"$hba"
    psql_primary "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
  fi
  [ "$(psql_primary "SHOW wal_level")" != minimal ] || { say "the primary needs wal_level=replica"; exit 1; }
}

start_replica() {
  local data=$DIR/replica
  say "replica: pg_basebackup -R from $PRIMARY_HOST:$PRIMARY_PORT into $data, hot standby on :$REPLICA_PORT"
  install -d -m 0700 "$data"
  [ "$(id -u)" != 0 ] || chown postgres: "$DIR" "$data"
  as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
    -D "$data" -R -X stream -c fast
  # A Debian cluster keeps its configuration in /etc: the copy has none, so write a small one.
  as_postgres tee "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $REPLICA_PORT
unix_socket_directories = '$DIR'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 64MB
max_standby_streaming_delay = 5s
EOF
  as_postgres tee "$data/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  as_postgres touch "$data/pg_ident.conf"
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$DIR/replica.log" -w -t 60 start >/dev/null
}

start_app_server() {  # start_app_server PORT
  local port=$1
  # CLUSTER_NO_REPLICA=1: every read on the primary (bench/cluster.py compares the two).
  (set -a; . "$DIR/env"; [ -z "${CLUSTER_NO_REPLICA:-}" ] || unset DATABASE_REPLICA_URL
   exec "$VENV/bin/gunicorn" --workers "$APP_WORKERS" --threads "$APP_THREADS" --graceful-timeout 5 \
    --bind "127.0.0.1:$port" --pid "$DIR/app-$port.pid" --daemon \
    --error-logfile "$DIR/app-$port.log" wsgi:app)
  wait_for 30 "app server :$port" http_ok "http://127.0.0.1:$port/health"
}

start_worker() {  # start_worker N
  (set -a; . "$DIR/env"; nohup "$VENV/bin/flask" --app wsgi webhooks-worker \
    >"$DIR/worker-$1.log" 2>&1 & echo $! >"$DIR/worker-$1.pid")
}

write_haproxy_config() {
  cat >"$DIR/haproxy.cfg" <<EOF
global
    daemon
    pidfile $DIR/haproxy.pid
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout queue 5s
    # A request an app server never answered (it died, or refused the connection) is sent to
    # the other one; L7 retries only for GET and HEAD, which are safe to repeat. Writes with
    # an Idempotency-Key may be retried by the client itself.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 503
    option http-server-close
    option forwardfor

frontend berdaya
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend app

backend app
    balance roundrobin
    http-request disable-l7-retry if !METH_GET !METH_HEAD
    option httpchk GET /ready
    http-check expect status 200
    default-server check inter 500ms fall 2 rise 2 maxconn 64
$(i=1; for p in "${APP_PORTS[@]}"; do echo "    server app$i 127.0.0.1:$p"; i=$((i + 1)); done)
EOF
}

start() {
  if [ -f "$DIR/env" ]; then say "already running (scripts/cluster.sh stop first)"; exit 1; fi
  ensure_packages
  trap 'say "start failed: stopping what started"; stop' ERR
  [ -x "$VENV/bin/gunicorn" ] || make install
  mkdir -p "$DIR"
  "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$DIR/secret"
  write_env
  [ "$(psql_primary "SELECT 1 FROM pg_database WHERE datname = '$CLUSTER_DB'")" = 1 ] \
    || psql_primary "CREATE DATABASE \"$CLUSTER_DB\""
  say "migrations and regions on $CLUSTER_DB (the primary)"
  (set -a; . "$DIR/env"; "$VENV/bin/flask" --app wsgi db-upgrade >"$DIR/migrate.log" 2>&1 \
    && "$VENV/bin/flask" --app wsgi load-regions >>"$DIR/migrate.log" 2>&1)

  ensure_replication_allowed
  start_replica

  say "redis on :$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"
  wait_for 10 redis redis-cli -p "$REDIS_PORT" ping

  say "S3 (moto server) on :$S3_PORT"
  nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$DIR/s3.log" 2>&1 & echo $! >"$DIR/s3.pid"
  wait_for 20 "S3 server" http_ok "http://127.0.0.1:$S3_PORT/moto-api/"
  (set -a; . "$DIR/env"; "$VENV/bin/python" - <<'PY'
import json, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1")
bucket, private = os.environ["S3_BUCKET"], os.environ["S3_PRIVATE_BUCKET"]
s3.create_bucket(Bucket=bucket)
s3.create_bucket(Bucket=private)
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
PY
  )

  for port in "${APP_PORTS[@]}"; do say "app server on :$port"; start_app_server "$port"; done
  for n in 1 2; do start_worker "$n"; done
  say "two webhook workers (RQ)"

  write_haproxy_config
  haproxy -c -q -f "$DIR/haproxy.cfg"
  haproxy -f "$DIR/haproxy.cfg"
  wait_for 10 haproxy http_ok "http://127.0.0.1:$HAPROXY_PORT/ready"
  trap - ERR
  say "up: http://127.0.0.1:$HAPROXY_PORT  (settings: source $DIR/env; stop: make cluster-stop)"
}

stop_pidfile() {  # stop_pidfile FILE: TERM, then KILL after 10 s
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  [ -d "$DIR" ] || { say "not running"; return 0; }
  # TERM to all at once (gunicorn and RQ shut down gracefully), KILL what is left after 10 s.
  local pids=() file
  for file in "$DIR/haproxy.pid" "$DIR"/app-*.pid "$DIR"/worker-*.pid "$DIR/s3.pid" "$DIR/redis.pid"; do
    [ -f "$file" ] && pids+=("$(cat "$file")") && rm -f "$file"
  done
  [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null || true
  any_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  for _ in $(seq 1 50); do any_alive "${pids[@]}" || break; sleep 0.2; done
  [ ${#pids[@]} = 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
  if [ -f "$DIR/replica/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/replica" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$DIR"
  say "stopped (the database is left on the primary)"
}

status() {
  [ -f "$DIR/env" ] || { say "not running"; return 1; }
  for f in "$DIR"/*.pid; do
    if kill -0 "$(cat "$f")" 2>/dev/null; then say "$(basename "$f" .pid): running"; else say "$(basename "$f" .pid): DOWN"; fi
  done
  as_postgres "$PG_BIN/pg_ctl" -D "$DIR/replica" status >/dev/null && say "replica: running" || say "replica: DOWN"
}

kill_app() {  # the master and its workers, at once, as a crash would
  local pid
  pid=$(cat "$DIR/app-$1.pid")
  kill -9 "$pid" $(pgrep -P "$pid") 2>/dev/null || true
  rm -f "$DIR/app-$1.pid"
}

restart_redis() {  # the same port, empty (no persistence): what a crash of a cache node loses
  stop_pidfile "$DIR/redis.pid"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"
  wait_for 10 redis redis-cli -p "$REDIS_PORT" ping
}

case "${1:-}" in
  start) start ;;
  kill-app) kill_app "$2" ;;
  start-app) start_app_server "$2" ;;
  stop-replica) as_postgres "$PG_BIN/pg_ctl" -D "$DIR/replica" -m fast -w stop >/dev/null ;;
  start-replica) as_postgres "$PG_BIN/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w start >/dev/null ;;
  restart-redis) restart_redis ;;
  kill-worker) kill -9 "$(cat "$DIR/worker-$2.pid")"; rm -f "$DIR/worker-$2.pid" ;;
  start-worker) start_worker "$2" ;;
  stop) stop ;;
  status) status ;;
  env) cat "$DIR/env" ;;
  *) echo "usage: $0 start|stop|status|env|kill-app|start-app|stop-replica|start-replica|restart-redis|kill-worker|start-worker" >&2; exit 2 ;;
esac
