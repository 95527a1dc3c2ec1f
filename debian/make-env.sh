#!/bin/sh
# Prints /etc/quickcart/quickcart.env as the package ships it, made from .env.example (the one
# source of the variables): a header for the package instead of the "copy to .env" one, the
# paths that quickcart.service sets (DATA_DIR, LOG_DIR, BACKUP_DIR) dropped, and the recipients
# file in /etc/quickcart. Regenerate after changing .env.example:
#   sh debian/make-env.sh > debian/quickcart.env
# (tests/e2e/ops_package.rs fails while the two differ).
set -eu
cd "$(dirname "$0")/.."
cat <<'HEADER'
# QuickCart configuration for quickcart.service, installed by the quickcart package.
# `quickcart setup` fills it in; or edit it by hand (then `quickcart doctor`).
# Owned by root, mode 0600: systemd reads it before it starts the shop as the quickcart user.
# DATA_DIR, LOG_DIR and BACKUP_DIR come from the unit: /var/lib/quickcart/data,
# /var/log/quickcart and /var/lib/quickcart/backups.
HEADER
# Skip .env.example's own header (the comment lines before the first blank line).
awk '
  !started { if ($0 == "") { started = 1; print } ; next }
  /^(DATA_DIR|LOG_DIR|BACKUP_DIR)=/ { next }
  /^BACKUP_RECIPIENTS_FILE=/ { print "BACKUP_RECIPIENTS_FILE=/etc/quickcart/backup-recipients.txt"; next }
  { print }
' .env.example
