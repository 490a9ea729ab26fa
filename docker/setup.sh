#!/bin/sh
# Setup of the compose stack, in two parts run by two services (docker/compose.yml):
#
#   corpus-stack-setup elasticsearch    the `setup` service, once; the scheduler and the crawlers start
#       only after it succeeded. Waits for Elasticsearch, sets the kibana_system password (Kibana's own
#       user), creates the crawler's role and user (rights on corpus-* only) and the index templates,
#       indices and aliases (corpus es setup). Nothing here needs Kibana.
#   corpus-stack-setup kibana           the `kibana-setup` service; nothing waits for it. Imports the
#       Kibana saved objects that are missing (corpus kibana import without --overwrite: objects that
#       analysts edited stay as they are). Exits non-zero when Kibana is not ready in time or an object
#       fails; the service's restart policy (on-failure) runs it again.
#
# Passwords never reach a command line (where `ps` on the host shows them): JSON bodies are built by
# Python from the environment and sent on curl's stdin (--data-binary @-), and the elastic user's
# credentials reach curl as a header read from a here-document on descriptor 3 (-H @/dev/fd/3), never
# as an argument. Any character is allowed in the passwords (quotes, backslashes, $, spaces, non-ASCII).
set -eu

es="${ELASTICSEARCH_URL:-http://elasticsearch:9200}"
kibana="${KIBANA_URL:-http://kibana:5601}"

# The Authorization header value of the elastic user: base64 of "elastic:<password>", from the environment.
basic_auth() {
  python3 -c 'import base64, os; print(base64.b64encode(b"elastic:" + os.environb[b"ELASTIC_PASSWORD"]).decode())'
}

# A JSON object: the fields of the JSON object $2 (optional) and "password" from the environment variable
# named $1. Only the variable's name is an argument.
password_json() {
  python3 -c 'import json, os, sys
body = json.loads(sys.argv[2] or "{}")
body["password"] = os.environ[sys.argv[1]]
print(json.dumps(body))' "$1" "${2:-}"
}

# es_call METHOD PATH [-]: a request to Elasticsearch as the elastic user; with "-" the body is read from
# stdin. Fails (curl exit 22) on an HTTP error and prints Elasticsearch's answer.
es_call() {
  curl -sS --fail-with-body -X "$1" -H @/dev/fd/3 -H 'Content-Type: application/json' \
    ${3:+--data-binary @-} "$es$2" 3<<EOF
Authorization: Basic $auth
EOF
}

setup_elasticsearch() {
  : "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD in docker/.env}"
  : "${KIBANA_SYSTEM_PASSWORD:?set KIBANA_SYSTEM_PASSWORD in docker/.env}"
  : "${CORPUS_ES_PASSWORD:?set CORPUS_ES_PASSWORD in docker/.env}"
  user="${CORPUS_ES_USERNAME:-corpus}"
  auth=$(basic_auth)

  echo "setup: waiting for Elasticsearch at $es"
  tries=0
  until es_call GET /_cluster/health >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge "${ES_WAIT_TRIES:-150}" ]; then
      echo "setup: Elasticsearch at $es did not answer in time (last error below)" >&2
      es_call GET /_cluster/health >&2 || true
      exit 1
    fi
    sleep 2
  done

  echo "setup: kibana_system password"
  password_json KIBANA_SYSTEM_PASSWORD | es_call POST /_security/user/kibana_system/_password - >/dev/null

  echo "setup: role corpus_writer and user $user"
  printf '%s' '{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["corpus-*"],"privileges":["all"]}]}' \
    | es_call PUT /_security/role/corpus_writer - >/dev/null
  password_json CORPUS_ES_PASSWORD '{"roles":["corpus_writer"],"full_name":"corpus crawler"}' \
    | es_call PUT "/_security/user/$user" - >/dev/null

  echo "setup: index templates, indices and aliases"
  ELASTICSEARCH_URL="$es" CORPUS_ES_USERNAME="$user" corpus es setup
  echo "setup: done; the crawls can start"
}

setup_kibana() {
  : "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD in docker/.env}"
  echo "kibana-setup: importing the missing Kibana saved objects into $kibana (existing ones are kept)"
  if KIBANA_USERNAME=elastic KIBANA_PASSWORD="$ELASTIC_PASSWORD" \
      corpus kibana import --kibana-url "$kibana" --timeout "${KIBANA_WAIT:-600}"; then
    echo "kibana-setup: done"
  else
    status=$?
    echo "kibana-setup: the import failed (exit $status, reason above); the service is restarted to try again." \
      "Crawling does not wait for Kibana." >&2
    exit "$status"
  fi
}

case "${1:-}" in
  elasticsearch) setup_elasticsearch ;;
  kibana) setup_kibana ;;
  *) echo "usage: corpus-stack-setup elasticsearch|kibana" >&2; exit 2 ;;
esac
