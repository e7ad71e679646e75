#!/usr/bin/env bash
# Brings up what autobook needs on this machine: PostgreSQL, RabbitMQ and
# Redis on their standard local ports, the `autobook` database, and the
# broker users of autobook's roles (infra/rabbitmq-users.sh: one user per
# role, least-privilege permissions, local-only passwords unless
# AUTOBOOK_BROKER_PASSWORD_<ROLE> is set). Also installs headless Chromium
# and its chromedriver (/usr/bin/chromium, /usr/bin/chromedriver), which the
# console's browser tests drive (tests/harness/webdriver.rs), and Prometheus
# (/usr/bin/prometheus), which a test runs against the demo's metrics.
# Installs missing Debian packages and starts stopped services; running it
# again changes nothing. Needs root or sudo only when something is missing.
set -euo pipefail

log() { printf '[infra] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq "$((seconds * 4))"); do "$@" && return 0; sleep 0.25; done
  log "$name did not come up within ${seconds}s"; return 1
}

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Package scripts may fail to start services without systemd; we start them below.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || true
  for package in "${missing[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || { log "could not install $package"; exit 1; }
  done
fi

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    log "creating PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main >/dev/null
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432
# The default DATABASE_URL carries the password "postgres"; give it to the
# role where password authentication is in force (a no-op under trust).
as_postgres psql -qX -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
if [ "$(as_postgres psql -qXtA -c "SELECT 1 FROM pg_database WHERE datname = 'autobook'")" != "1" ]; then
  log "creating database autobook"
  as_postgres psql -qX -c "CREATE DATABASE autobook" >/dev/null
fi

# Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  dir=/var/lib/redis; [ -d "$dir" ] && [ -w "$dir" ] || dir=$(mktemp -d)
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir "$dir" \
    --logfile "$dir/autobook-redis.log" >/dev/null
fi
wait_for Redis 30 sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1'

# RabbitMQ
if ! port_open 5672; then
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
fi
wait_for RabbitMQ 120 port_open 5672
"$(dirname "$0")/rabbitmq-users.sh"

log "PostgreSQL, RabbitMQ and Redis are up"
