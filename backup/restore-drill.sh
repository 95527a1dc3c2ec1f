#!/usr/bin/env bash
# QuickCart restore drill: proves a backup brings the shop back. Run it monthly (README).
#
#   backup/restore-drill.sh BACKUP_FILE IDENTITY_FILE
#
# It never touches the live shop: the backup is restored into a scratch directory, checked
# (integrity, money invariants, audit hash chain), then `quickcart serve` is started on it with
# Telegram and Pakasir pointed at a closed local port (so it cannot reach customers or take the
# live bot's updates) and stopped again, and the shop is checked once more: same paid orders,
# same ledger and balances, audit chain intact. Prints "DRILL OK" and exits 0 on success.
#
# Environment:
#   QUICKCART          the binary (default: quickcart on PATH, else /usr/local/bin/quickcart)
#   QUICKCART_ENV_FILE the shop's .env with DATABASE_KEY (default /etc/quickcart/quickcart.env);
#                      DATABASE_KEY may also come from the environment
#   KEEP_SCRATCH=1     keep the scratch directory for inspection
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BACKUP_FILE IDENTITY_FILE" >&2
  exit 2
fi
backup=$(realpath "$1")
identity=$(realpath "$2")
bin=${QUICKCART:-$(command -v quickcart || echo /usr/local/bin/quickcart)}
env_file=${QUICKCART_ENV_FILE:-/etc/quickcart/quickcart.env}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/quickcart-drill.XXXXXX")
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then
    echo "scratch kept: $scratch"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nDRILL FAILED: %s\n' "$*" >&2; exit 1; }

# quickcart reads .env from its working directory; the variables below win over it.
if [ -r "$env_file" ]; then
  cp "$env_file" "$scratch/.env"
  chmod 600 "$scratch/.env"
fi
cd "$scratch"
export DATA_DIR="$scratch/data" LOG_DIR="$scratch/logs" BACKUP_DIR="$scratch/backups"
export TELEGRAM_API_URL="http://127.0.0.1:9" PAKASIR_BASE_URL="http://127.0.0.1:9"
export TELEGRAM_BOT_TOKEN="000000:restore-drill-not-a-real-bot-token-xxxxx"
export TELEGRAM_WEBHOOK_URL="" TELEGRAM_WEBHOOK_SECRET=""
# The drill never writes to the shop's backup remote.
export BACKUP_REMOTE=""
export HTTP_BIND="127.0.0.1:0" METRICS_BIND="127.0.0.1:0" NO_COLOR=1
export QUICKCART_LOG=info

# Compact `db stats` JSON and single numbers out of it (no jq needed).
stats() { "$bin" db stats | tr -d ' \n'; }
field() { grep -o "\"$2\":-\?[0-9]*" <<<"$1" | head -n1 | cut -d: -f2; }
paid() { grep -o '"orders":{[^}]*}' <<<"$1" | grep -o '"paid":[0-9]*' | cut -d: -f2 || true; }
audit_rows() { "$bin" audit verify | grep -o '[0-9]* baris' | cut -d' ' -f1; }

step "verify $backup"
"$bin" backup verify "$backup" -i "$identity"

step "restore into $DATA_DIR (the live shop is not touched)"
"$bin" backup restore "$backup" -i "$identity"

step "check the restored shop"
"$bin" db check
"$bin" audit verify
before=$(stats)
rows_before=$(audit_rows)
echo "$before"

step "start serve on the restored data (Telegram/Pakasir unreachable on purpose)"
"$bin" serve >"$scratch/serve.out" 2>"$scratch/serve.err" &
serve_pid=$!
port=""
for _ in $(seq 1 100); do
  kill -0 "$serve_pid" 2>/dev/null || { cat "$scratch/serve.err" >&2; fail "serve exited during start"; }
  port=$(sed 's/\x1b\[[0-9;]*m//g' "$scratch/serve.err" | grep -o 'quickcart ready.*http=127\.0\.0\.1:[0-9]*' |
    grep -o '[0-9]*$' | head -n1 || true)
  [ -n "$port" ] && break
  sleep 0.2
done
[ -n "$port" ] || fail "serve did not get ready"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r status_line <&3 || true
exec 3>&-
case "$status_line" in
  *" 200"*) echo "healthz: $status_line" ;;
  *) fail "healthz answered: $status_line" ;;
esac
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve did not stop cleanly"
serve_pid=""
grep -q panicked "$scratch/serve.err" && fail "serve panicked"

step "check again after serve"
"$bin" db check
"$bin" audit verify
after=$(stats)
rows_after=$(audit_rows)
for f in ledger_sum balance_sum ledger_mismatches stock_violations; do
  [ "$(field "$before" $f)" = "$(field "$after" $f)" ] || fail "$f changed: $(field "$before" $f) → $(field "$after" $f)"
done
[ "$(paid "$before")" = "$(paid "$after")" ] || fail "paid orders changed: $(paid "$before") → $(paid "$after")"
[ "$rows_after" -ge "$rows_before" ] || fail "audit rows went from $rows_before to $rows_after"
[ "$(field "$after" ledger_sum)" = "$(field "$after" balance_sum)" ] || fail "balances do not match the ledger"

echo
echo "paid orders: $(paid "$after"), ledger sum: $(field "$after" ledger_sum), audit rows: $rows_before → $rows_after"
echo "DRILL OK"
