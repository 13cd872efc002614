#!/usr/bin/env bash
# `opsdeck inventory list`: the resolved hosts with where each value came from
# (inventory, ssh config, default), the one host-pattern grammar, and --json in
# ansible-inventory's shape, read back by Python.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/script-env.sh"

inv=$T/hosts.yml
cat >"$inv" <<'YAML'
all:
  vars:
    ansible_user: deploy
  children:
    prod:
      children:
        web:
          hosts:
            web[01:03]:
          vars:
            opsdeck_tags: [edge]
        db:
          hosts:
            db1:
              ansible_host: 10.0.1.10
              ansible_port: 2222
  hosts:
    lonely:
      ansible_user: root
YAML
mkdir -p "$HOME/.ssh"
printf 'Host web02\n\tHostName 192.0.2.2\n\tPort 2200\n' >"$HOME/.ssh/config"

out=$($OPSDECK inventory list --inventory "$inv")
echo "$out" | grep -Eq '^web02 +192\.0\.2\.2 \(ssh config\) +2200 \(ssh config\) +deploy \(inventory\)' ||
	fail "web02's address and port should come from ssh config: $out"
echo "$out" | grep -Eq '^db1 +10\.0\.1\.10 \(inventory\) +2222 \(inventory\)' || fail "db1 from the inventory: $out"
echo "$out" | grep -Eq '^web01 +web01 \(default\) +22 \(default\)' || fail "web01 defaults: $out"
ok "inventory list names where each value came from"

names() { $OPSDECK inventory list "$@" --inventory "$inv" | awk 'NR > 1 { printf "%s ", $1 }'; }
[ "$(names 'web*')" = "web01 web02 web03 " ] || fail "web*: $(names 'web*')"
[ "$(names 'prod:!web02')" = "web01 web03 db1 " ] || fail "prod:!web02: $(names 'prod:!web02')"
[ "$(names 'prod:&@db')" = "db1 " ] || fail "prod:&@db"
[ "$(names ungrouped)" = "lonely " ] || fail "ungrouped: $(names ungrouped)"
[ "$(names all | wc -w)" = 5 ] || fail "all"
ok "patterns: globs, all, ungrouped, @group, :& and :!"

$OPSDECK inventory list --json --inventory "$inv" >"$T/inv.json"
python3 - "$T/inv.json" <<'PY' || fail "inventory JSON is not ansible-inventory's shape"
import json, sys
d = json.load(open(sys.argv[1]))
hv = d["_meta"]["hostvars"]
assert set(hv) == {"web01", "web02", "web03", "db1", "lonely"}, hv.keys()
assert hv["web02"]["ansible_host"] == "192.0.2.2" and hv["web02"]["ansible_port"] == 2200
assert hv["web02"]["opsdeck_sources"]["ansible_host"] == "ssh config"
assert hv["db1"]["opsdeck_sources"]["ansible_port"] == "inventory"
assert hv["lonely"]["ansible_user"] == "root"
assert hv["web01"]["opsdeck_tags"] == ["edge"]
# The group tree as ansible-inventory gives it: all -> prod -> web, db.
assert sorted(d["all"]["children"]) == ["prod", "ungrouped"], d["all"]
assert d["prod"] == {"hosts": [], "children": ["web", "db"]}, d["prod"]
assert d["web"]["hosts"] == ["web01", "web02", "web03"]
assert d["db"]["hosts"] == ["db1"]
assert d["ungrouped"]["hosts"] == ["lonely"]
PY
ok "--json reads as ansible-inventory --list (hostvars, groups with hosts and children)"

expect_fail "an empty term" $OPSDECK inventory list 'web:' --inventory "$inv"
rc=0; $OPSDECK inventory list 'web:' --inventory "$inv" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "a bad pattern should exit 2, not $rc"
$OPSDECK inventory list --help | grep -q 'usage: opsdeck inventory list' || fail "--help"
expect_fail "unknown verb" $OPSDECK inventory show
ok "bad patterns and verbs exit 2 with a message; --help on stdout"

echo "$passed passed, 0 failed"
