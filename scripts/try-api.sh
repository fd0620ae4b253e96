#!/usr/bin/env bash
# A real client of the local stack, with curl and the AWS CLI only: uploads a transaction file,
# waits until it is scored, looks the customer up, reads its history, the segments and the latest
# run, scores a what-if with POST /score, then creates a CSV and a gzipped JSON-lines export and
# downloads both through their presigned links. Not part of `npm test`.
#
#   npm start                  # in another terminal (same PORT, S3_PORT, LOCAL_DATA_DIR)
#   scripts/try-api.sh
#
# Needs bash, curl, jq and the AWS CLI (Debian: apt-get install -y curl jq awscli). Settings, all
# optional: PORT (3000), S3_PORT (4568), LOCAL_DATA_DIR (.local), API_TOKEN (else read from
# $LOCAL_DATA_DIR/api-token), AWS (the aws command), OUT_DIR (where downloads go; a temporary folder).
set -euo pipefail

API="http://localhost:${PORT:-3000}"
S3="http://127.0.0.1:${S3_PORT:-4568}"
BUCKET=customer-scoring-data-local
TOKEN="${API_TOKEN:-$(cat "${LOCAL_DATA_DIR:-.local}/api-token")}"
AWS_CMD="${AWS:-aws}"
OUT="${OUT_DIR:-$(mktemp -d)}"
mkdir -p "$OUT"

# s3rver accepts only its own key pair; real credentials must never reach it.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE
s3() { "$AWS_CMD" --endpoint-url "$S3" s3 "$@"; }

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# call METHOD PATH [JSON BODY]: prints the body, fails unless the status is the expected one
# (EXPECT, default 200).
call() {
  local method=$1 path=$2 body=${3:-} expect=${EXPECT:-200} status
  local args=(-sS -o "$OUT/response.json" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN")
  if [[ -n $body ]]; then args+=(-H 'content-type: application/json' --data-binary "$body"); fi
  status=$(curl "${args[@]}" "$API$path")
  [[ $status == "$expect" ]] || fail "$method $path answered $status, expected $expect: $(cat "$OUT/response.json")"
  cat "$OUT/response.json"
}

# wait_for SECONDS COMMAND...: runs the command every half second until it succeeds.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

step "the API description is public; every other route needs the token"
curl -sS -f "$API/openapi.json" | jq -r '"OpenAPI \(.openapi): " + ([.paths | to_entries[] | .key as $p | .value | keys[] | "\(ascii_upcase) \($p)"] | join(", "))'
status=$(curl -sS -o /dev/null -w '%{http_code}' "$API/segments")
[[ $status == 401 ]] || fail "GET /segments without a token answered $status"
echo "GET /segments without the token: $status"

step "upload a transaction file with the AWS CLI"
CUSTOMER="TRY$(date +%s)"
FILE="try-api-$CUSTOMER.csv"
today=$(date -u +%F)
day() { date -u -d "$today - $1 days" +%F; }
cat >"$OUT/$FILE" <<CSV
customer_id,transaction_date,amount,transaction_id
$CUSTOMER,$(day 300),120.00,$CUSTOMER-1
$CUSTOMER,$(day 200),80.50,$CUSTOMER-2
$CUSTOMER,$(day 90),210.00,$CUSTOMER-3
$CUSTOMER,$(day 10),95.25,$CUSTOMER-4
$CUSTOMER,not-a-date,10.00,$CUSTOMER-5
CSV
s3 cp "$OUT/$FILE" "s3://$BUCKET/incoming/transactions/$FILE"

step "wait until ingest has written its report, then read it"
REPORT="s3://$BUCKET/reports/transactions/$FILE.report.json"
wait_for 60 s3 ls "$REPORT" || fail "no report at $REPORT after 60 s"
s3 cp "$REPORT" - | jq -c '{status, accepted: .rows.accepted, rejected: .rows.rejected, problems: [.rejections[]? | "line \(.line): \(.reason)"]}'

step "GET /customers/$CUSTOMER: the new customer is scored"
EXPECT=200 wait_for 30 call GET "/customers/$CUSTOMER" || fail "customer $CUSTOMER was not scored"
call GET "/customers/$CUSTOMER" | jq -c '{customerId, x, recency, netValue, churnRisk, tier, rfmSegment, quadrant, decision}'

step "GET /customers/$CUSTOMER/history"
call GET "/customers/$CUSTOMER/history?limit=5" | jq -c '{customerId, states: (.history | length)}'

step "GET /customers/NOPE-1: an unknown customer is a 404 JSON error"
EXPECT=404 call GET /customers/NOPE-1 | jq -c .

step "GET /segments and GET /runs/latest"
call GET /segments | jq -c '{runId, customers, tiers: (.segments.tier | map_values(.customers)), pareto}'
call GET /runs/latest | jq -c '{runId, status, kind}'

step "POST /score: a what-if for a customer with two purchases, nothing stored"
call POST /score "{\"customerId\": \"WHATIF-1\", \"transactions\": [{\"date\": \"$(day 60)\", \"amount\": 40}, {\"date\": \"$(day 5)\", \"amount\": 55.5}]}" |
  jq -c '{customerId, runId, expectedPurchases, pAlive, clv, tier, decision}'
EXPECT=404 call GET /customers/WHATIF-1 >/dev/null && echo "GET /customers/WHATIF-1: 404, nothing was stored"

# export FORMAT-REQUEST FILE-NAME: POST /exports, poll until ready, download through the link.
export_to() {
  local request=$1 file=$2 id job
  id=$(EXPECT=202 call POST /exports "$request" | jq -r .exportId)
  echo "export $id queued"
  EXPECT=200 wait_for 120 bash -c "curl -sS -H 'Authorization: Bearer $TOKEN' '$API/exports/$id' | jq -e '.status == \"ready\" or .status == \"failed\"'" ||
    fail "export $id not finished after 120 s"
  job=$(call GET "/exports/$id")
  [[ $(jq -r .status <<<"$job") == ready ]] || fail "export $id failed: $(jq -r .reason <<<"$job")"
  jq -c '{status, rows, expiresAt}' <<<"$job"
  # The presigned link needs no credentials at all.
  curl -sS -f -o "$OUT/$file" "$(jq -r .url <<<"$job")"
  echo "downloaded $(wc -c <"$OUT/$file") bytes to $OUT/$file"
}

step "POST /exports: key customers as CSV, downloaded through the presigned link"
export_to '{"filter": {"tier": ["key"]}, "fields": ["customerId", "netValue", "churnRisk", "rfmSegment", "decision"], "format": "csv"}' key.csv
head -n 4 "$OUT/key.csv"
echo "... $(($(wc -l <"$OUT/key.csv") - 1)) rows"

step "POST /exports: customers at risk as gzipped JSON lines"
export_to '{"filter": {"churnRisk": {"min": 0.5}, "netValue": {"min": 0}}, "format": "jsonl", "gzip": true}' at-risk.jsonl.gz
echo "$(gunzip -c "$OUT/at-risk.jsonl.gz" | wc -l) lines; first: $(gunzip -c "$OUT/at-risk.jsonl.gz" | head -n 1 | jq -c '{customerId, churnRisk, netValue}')"

step "POST /exports with a bad filter: 400 naming the fields"
EXPECT=400 call POST /exports '{"filter": {"tier": ["gold"]}, "format": "xlsx"}' | jq -c '.error | {code, details}'

step "the exports are in the bucket too"
s3 ls "s3://$BUCKET/exports/" | tail -n 2

printf '\nall steps passed; files in %s\n' "$OUT"
