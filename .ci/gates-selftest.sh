#!/usr/bin/env bash
# Shows that each CI gate fails on a planted problem: semgrep (SQL via format!, env unwrap,
# printed secret), detect-secrets (a new token), cargo-deny (a planted advisory against a crate
# we use). Runs on a scratch copy; the repository is not touched. Exit 0 = every gate caught it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
expect_failure() { # name, command...
  local name=$1; shift
  if "$@" >"$scratch/out.txt" 2>&1; then
    echo "SELFTEST FAIL: gate '$name' passed on a planted problem"; cat "$scratch/out.txt"; fail=1
  else
    echo "selftest ok: gate '$name' rejected the planted problem"
  fi
}

# semgrep: a file with the three mistakes the rules exist for.
mkdir -p "$scratch/src"
cat >"$scratch/src/planted.rs" <<'RS'
pub fn planted(conn: &rusqlite::Connection, id: &str, key: &crate::config::Secret<String>) {
    let sql = format!("SELECT name FROM users WHERE id = {id}");
    let _ = conn.execute(&sql, []);
    let token = std::env::var("TELEGRAM_BOT_TOKEN").unwrap();
    println!("key is {}", key.expose());
    let _ = token;
}
RS
expect_failure semgrep semgrep --metrics=off --disable-version-check --error --quiet --config .ci/semgrep.yml "$scratch/src/planted.rs"
for rule in sql-built-with-format env-var-unwrap secret-printed; do
  grep -q "$rule" "$scratch/out.txt" || { echo "SELFTEST FAIL: semgrep missed $rule"; fail=1; }
done

git clone -q "$root" "$scratch/repo"

# semgrep layer rules (their paths are relative to a checkout): a store module calling up into
# the shop, a domain module doing I/O, a use case importing an adapter, SQL in a use case.
mkdir -p "$scratch/repo/src/store" "$scratch/repo/src/domain" "$scratch/repo/src/shop"
echo 'pub fn f() { let _ = crate::shop::ports::Out::text("x"); }' >"$scratch/repo/src/store/planted.rs"
echo 'pub fn f() { let _ = std::fs::read("x"); }' >"$scratch/repo/src/domain/planted.rs"
printf '%s\n' 'pub fn f() { let _ = crate::pakasir::parse_notice(b""); }' \
  'pub const Q: &str = "SELECT id FROM orders";' >"$scratch/repo/src/shop/planted.rs"
expect_failure semgrep-layers bash -c "cd '$scratch/repo' && semgrep --metrics=off --disable-version-check --error --quiet --config .ci/semgrep.yml src/store/planted.rs src/domain/planted.rs src/shop/planted.rs"
for rule in layer-store-returns-facts layer-domain-is-pure layer-shop-behind-ports sql-outside-store; do
  grep -q "$rule" "$scratch/out.txt" || { echo "SELFTEST FAIL: semgrep missed $rule"; fail=1; }
done
rm -f "$scratch/repo/src/store/planted.rs" "$scratch/repo/src/domain/planted.rs" "$scratch/repo/src/shop/planted.rs"

# detect-secrets: a real-looking bot token added to a tracked file is not in the baseline.
cp .secrets.baseline "$scratch/repo/.secrets.baseline"
echo 'const LEAKED: &str = "7102938475:AAF3kq9ZxLmN0pQrStUvWxYz1234567890ab";' >>"$scratch/repo/src/lib.rs"
expect_failure detect-secrets bash -c "cd '$scratch/repo' && detect-secrets-hook --baseline .secrets.baseline src/lib.rs"

# cargo-deny: a copy of the advisory database with an advisory against `hex`, which we use.
if [ -n "${ADVISORY_DB_ROOT:-}" ] && [ -d "$ADVISORY_DB_ROOT" ]; then
  cp -r "$ADVISORY_DB_ROOT" "$scratch/adb"
  db=$(find "$scratch/adb" -maxdepth 1 -mindepth 1 -type d | head -n 1)
  mkdir -p "$db/crates/hex"
  cat >"$db/crates/hex/RUSTSEC-2099-0001.md" <<'MD'
```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "hex"
date = "2026-08-01"
title = "Planted advisory for the CI self-test"
url = "https://example.invalid/planted"
categories = ["memory-corruption"]
keywords = ["selftest"]

[versions]
patched = []
```

# Planted advisory

Only exists in the CI self-test's scratch copy of the database.
MD
  (cd "$db" && git add -A && git -c user.name=selftest -c user.email=selftest@localhost commit -qm planted)
  expect_failure cargo-deny env ADVISORY_DB_ROOT="$scratch/adb" cargo deny --offline check advisories
  grep -q "RUSTSEC-2099-0001" "$scratch/out.txt" || { echo "SELFTEST FAIL: cargo-deny failed for another reason"; cat "$scratch/out.txt"; fail=1; }
else
  echo "selftest skipped: cargo-deny (no ADVISORY_DB_ROOT)"
fi

exit $fail
