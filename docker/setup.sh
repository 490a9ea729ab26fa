#!/bin/sh
# One-shot setup of the compose stack (the `setup` service): waits for Elasticsearch, sets the
# kibana_system password, creates the crawler's own user (rights on corpus-* only), creates the
# index templates, indices and aliases, and imports the Kibana saved objects.
# Passwords are passed to curl on stdin, never on its command line.
set -eu

: "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD in docker/.env}"
: "${KIBANA_SYSTEM_PASSWORD:?set KIBANA_SYSTEM_PASSWORD in docker/.env}"
: "${CORPUS_ES_PASSWORD:?set CORPUS_ES_PASSWORD in docker/.env}"
es="${ELASTICSEARCH_URL:-http://elasticsearch:9200}"
kibana="${KIBANA_URL:-http://kibana:5601}"

es_call() {  # method path [json body]; as the elastic user
  printf 'user = "elastic:%s"\n' "$ELASTIC_PASSWORD" \
    | curl -sS -f -K - -X "$1" -H 'Content-Type: application/json' "$es$2" ${3:+-d "$3"}
}

echo "setup: waiting for Elasticsearch at $es"
tries=0
until es_call GET /_cluster/health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 150 ]; then echo "setup: Elasticsearch did not answer in 5 minutes" >&2; exit 1; fi
  sleep 2
done

echo "setup: kibana_system password"
es_call POST /_security/user/kibana_system/_password "{\"password\":\"$KIBANA_SYSTEM_PASSWORD\"}" >/dev/null

echo "setup: role corpus_writer and user ${CORPUS_ES_USERNAME:-corpus}"
es_call PUT /_security/role/corpus_writer \
  '{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["corpus-*"],"privileges":["all"]}]}' >/dev/null
es_call PUT "/_security/user/${CORPUS_ES_USERNAME:-corpus}" \
  "{\"password\":\"$CORPUS_ES_PASSWORD\",\"roles\":[\"corpus_writer\"],\"full_name\":\"corpus crawler\"}" >/dev/null

echo "setup: index templates, indices and aliases"
ELASTICSEARCH_URL="$es" CORPUS_ES_USERNAME="${CORPUS_ES_USERNAME:-corpus}" corpus es setup

echo "setup: Kibana saved objects"
KIBANA_USERNAME=elastic KIBANA_PASSWORD="$ELASTIC_PASSWORD" \
  corpus kibana import --kibana-url "$kibana" --timeout "${KIBANA_WAIT:-600}"
echo "setup: done"
