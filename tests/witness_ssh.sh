#!/bin/bash
# File witnesses over the fleet's SSH (tests/sshd-fixture.sh): `log witness` appends
# the chain head to a file on each witness host, `log verify --witness` reads them
# back with cat, catches a full rewrite of the chain (exit 1) and says when a
# witness host cannot be reached (exit 3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=script-env.sh
. "$here/script-env.sh"
# shellcheck source=sshd-fixture.sh
. "$here/sshd-fixture.sh"
F=$T/fleet
trap 'sshd_fixture stop "$F" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
unset SSH_AUTH_SOCK
sshd_fixture start "$F" 2 >"$T/start.out" 2>&1 || fail "fixture: $(cat "$T/start.out")"

# The fixture's sshd runs as this user on loopback: the "remote" files are local ones.
mkdir -p "$T/remote"
w1=$T/remote/witness1
w2="$T/remote/it's witness 2"
export OPSDECK_CONFIG_DIR=$T/config OPSDECK_DB=$T/log.db
mkdir -p "$OPSDECK_CONFIG_DIR"
cat >"$OPSDECK_CONFIG_DIR/config.yaml" <<CONF
inventory: $F/inventory.yaml
known_hosts: $F/known_hosts
ssh_config: none
connect_timeout_s: 5
command_timeout_s: 10
witness:
  files:
    - {host: h01, path: '$w1'}
    - {host: h02, path: "$w2"}
CONF

for i in 1 2 3 4 5; do $OPSDECK log add "entry number $i" >/dev/null; done
line=$($OPSDECK log witness) || fail "log witness over ssh"
echo "$line" | grep -qE '^5:[0-9a-f]{64} ' || fail "record: $line"
[ "$(cat "$w1")" = "$line" ] || fail "witness 1: $(cat "$w1" 2>&1)"
[ "$(cat "$w2")" = "$line" ] || fail "witness 2 (a quote in its path): $(cat "$w2" 2>&1)"
$OPSDECK log add "entry number 6" >/dev/null
$OPSDECK log witness >/dev/null || fail "second log witness"
[ "$(wc -l <"$w1")" = 2 ] && grep -q '^6:' "$w1" || fail "not appended: $(cat "$w1")"
$OPSDECK log verify --witness | grep -q '^ok: 4 witness records match$' ||
	fail "verify --witness on an intact log: $($OPSDECK log verify --witness 2>&1)"
ok "log witness appends ID:HASH TS OPERATOR to a file on each witness host"

# A full rewrite: text changed, every hash recomputed, the search index rebuilt.
sqlite3 "$OPSDECK_DB" "DROP TRIGGER log_no_update;
	UPDATE log_entries SET text = 'entry number three' WHERE id = 3;"
prev=''
sql=''
while IFS=$'\t' read -r id ts op cat sev text; do
	h=$(LC_ALL=C; printf '14:opsdeck-log-v1;%s:%s;%s:%s;%s:%s;1:0;%s:%s;%s:%s;%s:%s;-;1:0;1:0;1:0;1:0;%s:%s;' \
		${#id} "$id" ${#ts} "$ts" ${#op} "$op" ${#cat} "$cat" ${#sev} "$sev" ${#text} "$text" \
		${#prev} "$prev" | sha256sum | cut -c1-64)
	sql+="UPDATE log_entries SET hash = '$h' WHERE id = $id;"
	prev=$h
done < <(sqlite3 -separator $'\t' "$OPSDECK_DB" \
	"SELECT id, ts, operator, category, severity, text FROM log_entries ORDER BY id")
sqlite3 "$OPSDECK_DB" "$sql INSERT INTO log_fts(log_fts) VALUES('rebuild');"
$OPSDECK log verify | grep -q '^ok: 6 entries verified' || fail "the rewrite should pass plain verify"
rc=0
out=$($OPSDECK log verify --witness) || rc=$?
[ "$rc" = 1 ] || fail "verify --witness after a rewrite: exit $rc: $out"
echo "$out" | grep -q "^FAILED: witness file h01:$w1, record 1 (5:" || fail "which witness: $out"
echo "$out" | grep -q '^first bad entry: #5$' || fail "first bad entry: $out"
ok "a full rewrite passes plain verify and fails --witness over SSH (exit 1, #5)"

sshd_fixture kill "$F" h02 >/dev/null 2>&1
rc=0
out=$($OPSDECK log verify --witness 2>&1) || rc=$?
[ "$rc" = 3 ] || fail "verify --witness with h02 down: exit $rc, want 3: $out"
echo "$out" | grep -q 'witness host h02' || fail "unreachable witness not named: $out"
rc=0
$OPSDECK log witness >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "log witness with h02 down: exit $rc"
ok "a witness host that is down: exit 3, named"
echo "$passed passed, 0 failed"
