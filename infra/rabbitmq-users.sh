#!/usr/bin/env bash
# Creates (or updates) autobook's RabbitMQ users, one per role, with the
# permissions in infra/rabbitmq/permissions.tsv: least privilege on the
# vhost's exchanges and queues (any namespace), and topic permissions that
# limit the routing keys (message types) each user may publish on the
# exchanges of the namespaces named in AUTOBOOK_NAMESPACES (default
# `autobook`; several separated by commas or spaces).
#
# Passwords come from AUTOBOOK_BROKER_PASSWORD_<ROLE> (GATEWAY, PUBLISHER,
# ORCHESTRATOR, SEARCH, PAYMENT, ORDER, NOTIFY, OPS). A role without one gets
# its local password, `autobook-<role>-local`: for a developer's machine
# only. Passwords are hashed here and handed to RabbitMQ on standard input,
# never on a command line, and never printed.
#
# Everything goes in one `rabbitmqctl import_definitions`, so running it
# again changes nothing but the password hashes' salt. RABBITMQCTL names the
# command (default `rabbitmqctl`, as root), e.g. for the compose file:
#   RABBITMQCTL="docker compose -f infra/docker-compose.yml exec -T rabbitmq rabbitmqctl"
# AUTOBOOK_BROKER_VHOST names the vhost (default `/`). The guest user is left
# alone: none of autobook's roles uses it (delete it in production).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
table="$here/rabbitmq/permissions.tsv"
vhost=${AUTOBOOK_BROKER_VHOST:-/}
namespaces=${AUTOBOOK_NAMESPACES:-autobook}

log() { printf '[infra] %s\n' "$*" >&2; }
rabbitmqctl_() {
  if [ -n "${RABBITMQCTL:-}" ]; then
    # shellcheck disable=SC2086 # a command with its arguments, split on purpose
    $RABBITMQCTL "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    rabbitmqctl "$@"
  else
    sudo rabbitmqctl "$@"
  fi
}

for tool in openssl; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool is needed to hash the broker passwords"; exit 1; }
done

scratch=$(mktemp -d)
chmod 700 "$scratch"
trap 'rm -rf "$scratch"' EXIT

# RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ password)).
password_hash() { # password (from a variable, never echoed)
  openssl rand 4 >"$scratch/salt"
  { cat "$scratch/salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary >"$scratch/digest"
  cat "$scratch/salt" "$scratch/digest" | openssl base64 -A
}

json_string() { # text: a JSON string (the table holds no quotes or control characters)
  local text=${1//\\/\\\\}
  printf '"%s"' "$text"
}

users=() permissions=() topics=() local_roles=()
while IFS=$'\t' read -r kind user first second third; do
  case "$kind" in
    vhost)
      role=${user#autobook-}
      variable="AUTOBOOK_BROKER_PASSWORD_${role^^}"
      password=${!variable:-}
      if [ -z "$password" ]; then
        password="$user-local"
        local_roles+=("$role")
      fi
      users+=("{\"name\":$(json_string "$user"),\"password_hash\":\"$(password_hash "$password")\",\"hashing_algorithm\":\"rabbit_password_hashing_sha256\",\"tags\":[],\"limits\":{}}")
      unset password
      permissions+=("{\"user\":$(json_string "$user"),\"vhost\":$(json_string "$vhost"),\"configure\":$(json_string "$first"),\"write\":$(json_string "$second"),\"read\":$(json_string "$third")}")
      ;;
    topic)
      for namespace in ${namespaces//,/ }; do
        topics+=("{\"user\":$(json_string "$user"),\"vhost\":$(json_string "$vhost"),\"exchange\":$(json_string "$namespace.$first"),\"write\":$(json_string "$second"),\"read\":$(json_string "$third")}")
      done
      ;;
    '' | \#*) ;;
    *) log "unexpected line in $table: $kind"; exit 1 ;;
  esac
done <"$table"

join() { local IFS=,; printf '%s' "$*"; }
printf '{"users":[%s],"permissions":[%s],"topic_permissions":[%s]}\n' \
  "$(join "${users[@]}")" "$(join "${permissions[@]}")" "$(join "${topics[@]}")" >"$scratch/definitions.json"
rabbitmqctl_ -q import_definitions <"$scratch/definitions.json" >/dev/null

log "broker users autobook-* ready (topic permissions for namespaces: ${namespaces//,/ })"
if [ "${#local_roles[@]}" -gt 0 ]; then
  log "local-only passwords for: ${local_roles[*]} (set AUTOBOOK_BROKER_PASSWORD_<ROLE> elsewhere)"
fi
