#!/bin/sh
# run.sh: `make bench`. Builds a 1,000,000-entry shift log once (cached in bench/out/),
# then measures appends, verify, search, filtered pages and the console (in a private
# tmux), and prints the figures beside their goals, also to bench/out/results.md.
# Figures only, never pass/fail. Needs BENCH_LOG and OPSDECK_BIN; see bench/README.md.
# Backticks in single quotes are markdown; set -- $(stats) splits on purpose.
# shellcheck disable=SC2016,SC2046
set -u

: "${BENCH_LOG:?set BENCH_LOG to the built bench/bench_log}"
: "${OPSDECK_BIN:?set OPSDECK_BIN to the built opsdeck}"
here=$(cd "$(dirname "$0")" && pwd)
[ "${BENCH_ONLY:-}" = fleet ] && exec bash "$here/fleet.sh" # the fleet part alone (issue #3)
out=${BENCH_OUT:-$here/out}
entries=${BENCH_ENTRIES:-1000000}
small=10000
append_n=${BENCH_APPEND:-100000}
reps=${BENCH_REPS:-200}
keys_n=${BENCH_KEYS:-300}
starts=${BENCH_STARTS:-10}
add_runs=50

mkdir -p "$out" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-bench.XXXXXX") || exit 1
sock=bench-$$
console_pid=
rows=$tmp/rows

# Whatever happens, leave no console, no tmux server and no scratch files behind.
cleanup() {
	if [ -n "$console_pid" ] && kill -0 "$console_pid" 2>/dev/null; then
		kill -TERM "$console_pid" 2>/dev/null
		sleep 0.2
		kill -KILL "$console_pid" 2>/dev/null
	fi
	tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Nothing the bench runs may read or write the user's own config or data.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
export XDG_STATE_HOME="$tmp/home/.local/state" XDG_CACHE_HOME="$tmp/home/.cache"
export LC_ALL=C.UTF-8
unset OPSDECK_DB OPSDECK_CONFIG_DIR OPSDECK_NOW_MS NO_COLOR
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME"

say() { printf 'bench: %s\n' "$*" >&2; }

# kv LINE KEY: the value of KEY=... in a bench_log output line.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# row SECTION FIGURE VALUE GOAL: one line of the final table.
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$rows"; }

# calc EXPR: floating-point arithmetic for the figures (awk, never shell integers).
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

ms() { printf '%s ms' "$1"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

have_bin=1
[ -x "$OPSDECK_BIN" ] || { have_bin=0; say "no opsdeck at $OPSDECK_BIN: CLI and console parts skipped"; }

# ---- the cached databases ----

# ensure_db PATH N: reuse PATH when it was made by this generator with the current
# schema and has N entries; otherwise build it again. Prints the fill line.
ensure_db() {
	e_db=$1 e_n=$2 e_meta=$1.meta e_ref=$tmp/ref.db
	rm -f "$e_ref"
	"$BENCH_LOG" fill "$e_ref" 1 >/dev/null || return 1
	e_want=$("$BENCH_LOG" info "$e_ref")
	e_schema=$(kv "$e_want" schema_sha256)
	e_gen=$(kv "$e_want" gen)
	if [ -f "$e_db" ] && [ -f "$e_meta" ]; then
		e_got=$("$BENCH_LOG" info "$e_db" 2>/dev/null)
		if [ "$(kv "$e_got" schema_sha256)" = "$e_schema" ] &&
		   [ "$(sed -n 's/^gen=//p' "$e_meta")" = "$e_gen" ] &&
		   [ "$(kv "$e_got" entries)" = "$e_n" ]; then
			sed -n 's/^fill=//p' "$e_meta"
			return 0
		fi
		say "$e_db is stale (schema, generator or size changed): rebuilding"
	fi
	rm -f "$e_db" "$e_db-wal" "$e_db-shm" "$e_meta"
	say "filling $e_db with $e_n entries (once; cached for later runs)"
	e_line=$("$BENCH_LOG" fill "$e_db" "$e_n") || return 1
	printf 'gen=%s\nbuilt=%s\nfill=%s\n' "$e_gen" "$(date -u +%Y-%m-%dT%H:%MZ)" "$e_line" >"$e_meta"
	printf '%s\n' "$e_line"
}

db=$out/log-1m.db
[ "$entries" = 1000000 ] || db=$out/log-$entries.db
db_small=$out/log-10k.db
fill_line=$(ensure_db "$db" "$entries") || { say "cannot build $db"; exit 1; }
ensure_db "$db_small" "$small" >/dev/null || { say "cannot build $db_small"; exit 1; }
built=$(sed -n 's/^built=//p' "$db.meta")
db_bytes=$(stat -c %s "$db")

# scratch NAME: a private copy of the big database for anything that writes.
scratch() {
	rm -f "$tmp/$1.db" "$tmp/$1.db-wal" "$tmp/$1.db-shm"
	# Flushed now, so writeback of the copy does not land inside a timed commit.
	cp "$db" "$tmp/$1.db" && sync "$tmp/$1.db" && printf '%s\n' "$tmp/$1.db"
}

# ---- 1. appends ----
say "appends"
row append "database" "$entries entries, $(mb $((db_bytes / 1024))) on disk, built $built"
row append "fill 0 -> $entries, shiftlog_append, 10k per txn, FULL" \
	"$(kv "$fill_line" rate) entries/s ($(kv "$fill_line" us_per_entry) us each)"

s=$(scratch append) || exit 1
a=$("$BENCH_LOG" append-rate "$s" "$append_n") || exit 1
row append "shiftlog_append x$append_n onto $entries (10k/txn, FULL)" \
	"$(kv "$a" rate) entries/s ($(kv "$a" us_per_entry) us each)"
if [ "$have_bin" = 1 ]; then
	l=$("$BENCH_LOG" exec "$add_runs" -- "$OPSDECK_BIN" --db "$s" log add --category note \
		"bench: one note, one process, one commit")
	row append "opsdeck log add (process + commit, FULL), $add_runs runs" \
		"median $(ms "$(kv "$l" median_ms)"), p99 $(ms "$(kv "$l" p99_ms)")"
	add_rss=$(kv "$l" rss_kb)
	l=$("$BENCH_LOG" exec "$add_runs" -- "$OPSDECK_BIN" --version)
	row append "  opsdeck --version (process start alone), $add_runs runs" \
		"median $(ms "$(kv "$l" median_ms)"), p99 $(ms "$(kv "$l" p99_ms)")"
	[ "$(kv "$l" fails)" = 0 ] || row append "opsdeck log add failures" "$(kv "$l" fails)"
fi
rm -f "$s" "$s-wal" "$s-shm"

s=$(scratch raw) || exit 1
r=$("$BENCH_LOG" raw-rate "$s" "$append_n") || exit 1
rm -f "$s" "$s-wal" "$s-shm"
s=$(scratch plain) || exit 1
p=$("$BENCH_LOG" plain-rate "$s" "$append_n") || exit 1
rm -f "$s" "$s-wal" "$s-shm"
h=$("$BENCH_LOG" hash-rate "$append_n")
g=$("$BENCH_LOG" gen-rate "$append_n" | head -n 1)
row append "peer: plain INSERT, same rows, same indexes, no FTS/triggers" \
	"$(kv "$p" rate) entries/s ($(kv "$p" us_per_entry) us each)"
row append "ratio shiftlog_append / plain INSERT (time per entry)" \
	"$(calc "$(kv "$a" us_per_entry) / $(kv "$p" us_per_entry)")x"
row append "  INSERT into log_entries, FTS5 + trigger, no chain work" \
	"$(kv "$r" rate) entries/s ($(kv "$r" us_per_entry) us each)"
row append "  so FTS5 + trigger cost (raw - plain)" \
	"$(calc "$(kv "$r" us_per_entry) - $(kv "$p" us_per_entry)") us/entry"
row append "  so chain work cost (append - raw; noisy, +-2 us)" \
	"$(calc "$(kv "$a" us_per_entry) - $(kv "$r" us_per_entry)") us/entry"
row append "  shiftlog_hash alone, in memory" "$(kv "$h" us_per_entry) us/entry"
row append "  row generator (inside every rate above)" "$(kv "$g" us_per_entry) us/entry"

# ---- 2. verify ----
if [ "$have_bin" = 1 ]; then
	say "verify"
	v=$("$BENCH_LOG" exec 3 -o "$tmp/verify.out" -- "$OPSDECK_BIN" --db "$db" log verify)
	row verify "opsdeck log verify, $entries entries (median of 3)" \
		"$(calc "$(kv "$v" median_ms) / 1000") s ($(sed 's/, chain head.*//' "$tmp/verify.out"))"
	verify_rss=$(kv "$v" rss_kb)
fi

# ---- 3. search and filtered pages ----

# shell_mean KIND VALUE N: mean ms per query for the console's SQL run N times in one
# sqlite3 shell, less the same shell running it once (start-up and open).
shell_mean() {
	"$BENCH_LOG" sql "$db" "$1" "$2" >"$tmp/q1.sql" || return 1
	: >"$tmp/qn.sql"
	sm_i=0
	while [ "$sm_i" -lt "$3" ]; do cat "$tmp/q1.sql" >>"$tmp/qn.sql"; sm_i=$((sm_i + 1)); done
	t1=$("$BENCH_LOG" exec 5 -i "$tmp/q1.sql" -- sqlite3 -batch "$db")
	tn=$("$BENCH_LOG" exec 3 -i "$tmp/qn.sql" -- sqlite3 -batch "$db")
	calc "($(kv "$tn" median_ms) - $(kv "$t1" median_ms)) / ($3 - 1)"
}

# page_row SECTION LABEL KIND VALUE [N]: opsdeck's newest page, N times (default
# $reps), against the same SQL in the sqlite3 shell.
page_row() {
	pr_n=${5:-$reps}
	l=$("$BENCH_LOG" page "$db" "$3" "$4" "$pr_n") || { row "$1" "$2" "error"; return; }
	sh_ms=$(shell_mean "$3" "$4" "$pr_n")
	row "$1" "$2 (${pr_n}x, $(kv "$l" rows_per_page) rows)" \
		"median $(kv "$l" median_ms), p99 $(kv "$l" p99_ms) ms; sqlite3 shell mean $sh_ms ms; ratio $(calc "$(kv "$l" mean_ms) / $sh_ms")x" \
		"p99 <= 50 ms"
	printf '%s\t%s\n' "$(kv "$l" rss_kb)" "$2" >>"$tmp/rss"
	{
		printf '\n%s: `%s %s`\n\n```\n' "$2" "$3" "$4"
		sqlite3 "$db" "EXPLAIN QUERY PLAN $(cat "$tmp/q1.sql")"
		printf '```\n'
	} >>"$tmp/plans"
}

say "search"
page_row search "FTS common word: disk" match 'disk'
page_row search "FTS rare word: segfault" match 'segfault'
# A search is the words as typed; FTS5 syntax follows "fts:" (issue 13).
page_row search "FTS phrase: \"disk full\"" match 'fts:"disk full"'
page_row search "FTS prefix: fail*" match 'fail*'
page_row search "FTS AND: nginx AND restarted" match 'fts:nginx AND restarted'
page_row search "as typed: nginx restarted" match 'nginx restarted'
page_row search "as typed: 10.0.0.5" match '10.0.0.5'
# The worst case found so far: FTS5 merges the whole doclist of every term a prefix
# matches before LIMIT applies, and web* matches a host in most entries.
page_row search "FTS broad prefix: web* (worst case)" match 'web*' 30
page_row filter "category page: alarm" category alarm
page_row filter "severity page: >= critical" severity critical
page_row filter "unfiltered page" all -
# A filter without an index walks the table backwards: when little matches (a quiet
# severity, a host with no entries) the walk reaches the oldest entry.
page_row filter "host page, a host with no entries (scans everything)" host nosuchhost 10

say "scrolling"
for f in "all -" "category alarm" "severity critical" "match disk"; do
	# shellcheck disable=SC2086 # two words on purpose: kind and value
	l=$("$BENCH_LOG" scroll "$db" $f "$reps")
	row filter "scroll older, $reps pages of 50: $f" \
		"median $(kv "$l" median_ms), p99 $(kv "$l" p99_ms) ms per page" "p99 <= 50 ms"
	printf '%s\t%s\n' "$(kv "$l" rss_kb)" "scroll $f" >>"$tmp/rss"
done

# ---- 4. the console ----

frames=$tmp/frames
t0f=$tmp/t0

# console_launch DB: starts the console in a fresh 120x40 tmux session; sets console_pid.
console_launch() {
	rm -f "$frames" "$t0f"
	console_pid=
	cl_env="TERM=xterm-256color OPSDECK_DB='$1' OPSDECK_BENCH_FRAMES='$frames'"
	tmux -L "$sock" -f /dev/null new-session -d -s bench -x 120 -y 40 \
		"exec env $cl_env '$BENCH_LOG' launch '$t0f' '$OPSDECK_BIN'" || return 1
	cl_i=0
	while [ "$cl_i" -lt 1000 ]; do # up to 10 s
		if [ -s "$t0f" ] && [ -f "$frames" ] && grep -q ' first-frame' "$frames"; then
			console_pid=$(cut -d' ' -f2 "$t0f")
			return 0
		fi
		sleep 0.01
		cl_i=$((cl_i + 1))
	done
	[ -s "$t0f" ] && console_pid=$(cut -d' ' -f2 "$t0f")
	return 1
}

# console_stop: SIGTERM (the console's clean shutdown), then the tmux server.
console_stop() {
	if [ -n "$console_pid" ]; then
		kill -TERM "$console_pid" 2>/dev/null
		cs_i=0
		while kill -0 "$console_pid" 2>/dev/null && [ "$cs_i" -lt 200 ]; do
			sleep 0.01
			cs_i=$((cs_i + 1))
		done
		kill -KILL "$console_pid" 2>/dev/null
	fi
	console_pid=
	tmux -L "$sock" kill-server 2>/dev/null
}

first_frame_ms() {
	awk -v t0="$(cut -d' ' -f1 "$t0f")" '$2 == "first-frame" { printf "%.3f\n", ($1 - t0) / 1000; exit }' "$frames"
}

# stats FILE: "median p99" of the numbers in FILE, one a line.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		r = int(0.99 * NR); if (r < 0.99 * NR) r++; if (r < 1) r = 1
		printf "%.3f %.3f\n", m, v[r] }'
}

# drive_keys N: sends N keys (Down, PageDown, Up in a fixed pattern), one at a time,
# each after the frame of the one before; writes key-to-frame ms to $tmp/k2f.
drive_keys() {
	: >"$tmp/sends"
	dk_i=0
	while [ "$dk_i" -lt "$1" ]; do
		case $((dk_i % 10)) in
		6) dk_k=NPage ;;
		7 | 8 | 9) dk_k=Up ;;
		*) dk_k=Down ;;
		esac
		dk_before=$(awk '$2 == "key"' "$frames" | wc -l)
		"$BENCH_LOG" now >>"$tmp/sends"
		tmux -L "$sock" send-keys -t bench "$dk_k"
		dk_j=0
		while [ "$dk_j" -lt 100 ] && [ "$(awk '$2 == "key"' "$frames" | wc -l)" -le "$dk_before" ]; do
			sleep 0.002
			dk_j=$((dk_j + 1))
		done
		dk_i=$((dk_i + 1))
	done
	sleep 0.1
	# With "<us> key <input_us>" lines the console timed the key itself; otherwise pair
	# each send with the first key frame after it (this includes tmux's own delivery).
	if awk '$2 == "key" && NF >= 3 { found = 1 } END { exit !found }' "$frames"; then
		k2f_source="console's own input timestamp"
		awk '$2 == "key" && NF >= 3 { printf "%.3f\n", ($1 - $3) / 1000 }' "$frames" >"$tmp/k2f"
	else
		k2f_source="tmux send-keys to frame (includes tmux delivery)"
		awk 'NR == FNR { if ($2 == "key") f[++nf] = $1; next }
		     { s[++ns] = $1 }
		     END { j = 1
			   for (i = 1; i <= ns; i++) {
				   nxt = i < ns ? s[i + 1] : 1e30
				   while (j <= nf && f[j] <= s[i]) j++
				   if (j <= nf && f[j] < nxt) printf "%.3f\n", (f[j] - s[i]) / 1000
			   } }' "$frames" "$tmp/sends" >"$tmp/k2f"
	fi
	k2f_frames=$(wc -l <"$tmp/k2f")
}

vmhwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$console_pid/status" 2>/dev/null; }

console_part() {
	if [ "$have_bin" = 0 ] || [ "${BENCH_SKIP_CONSOLE:-0}" = 1 ]; then
		row console "console" "skipped: no opsdeck binary or BENCH_SKIP_CONSOLE=1"
		return
	fi
	if ! command -v tmux >/dev/null; then
		row console "console" "skipped: tmux not installed"
		return
	fi
	# The console may write (a note, a shift event): it gets copies, never the cache.
	cdb=$(scratch console) || return
	cp "$db_small" "$tmp/console-small.db"
	say "console: $starts starts"
	if ! console_launch "$cdb"; then
		console_stop
		row console "console" "skipped: console frames file not produced"
		return
	fi
	first_frame_ms >"$tmp/ff"
	console_stop
	cp_i=1
	while [ "$cp_i" -lt "$starts" ]; do
		console_launch "$cdb" && first_frame_ms >>"$tmp/ff"
		console_stop
		cp_i=$((cp_i + 1))
	done
	set -- $(stats "$tmp/ff")
	row console "start to first frame, $entries entries ($(wc -l <"$tmp/ff") starts)" \
		"median $1, max $2 ms" "<= 150 ms"

	say "console: $keys_n keys"
	console_launch "$cdb" || { console_stop; row console "console" "failed to start"; return; }
	drive_keys "$keys_n"
	big_rss=$(vmhwm_kb)
	# What the tmux client alone costs, sending to a window that only reads.
	tmux -L "$sock" new-window -d -t bench:9 "cat >/dev/null"
	tk=$("$BENCH_LOG" exec 50 -- tmux -L "$sock" send-keys -t bench:9 Down)
	console_stop
	set -- $(stats "$tmp/k2f")
	row console "Log view key to frame, $k2f_frames of $keys_n keys, $entries entries" \
		"median $1, p99 $2 ms ($k2f_source)" "<= 5 ms"
	row console "  tmux send-keys alone, to an idle window (50 runs)" \
		"median $(kv "$tk" median_ms), p99 $(kv "$tk" p99_ms) ms"
	row console "console peak RSS (VmHWM) after $keys_n keys, $entries entries" \
		"$(mb "${big_rss:-0}")" "<= 30 MB"

	console_launch "$tmp/console-small.db" || { console_stop; return; }
	first_frame_ms >"$tmp/ff"
	drive_keys "$keys_n"
	small_rss=$(vmhwm_kb)
	console_stop
	set -- $(stats "$tmp/k2f")
	row console "start to first frame, $small entries (1 start)" "$(cat "$tmp/ff") ms" "<= 150 ms"
	row console "Log view key to frame, $small entries" "median $1, p99 $2 ms" "<= 5 ms"
	row console "console peak RSS (VmHWM) after $keys_n keys, $small entries" \
		"$(mb "${small_rss:-0}")" "<= 30 MB"
}
console_part

# ---- 5. the bench process's own memory ----
row memory "bench_log peak RSS: shiftlog_append x$append_n" "$(mb "$(kv "$a" rss_kb)")" "<= 30 MB"
row memory "bench_log peak RSS: plain INSERT peer" "$(mb "$(kv "$p" rss_kb)")"
sort -n "$tmp/rss" | tail -n 1 | {
	IFS="$(printf '\t')" read -r k what
	row memory "bench_log peak RSS: largest page/search run ($what)" "$(mb "$k")" "<= 30 MB"
}
[ -n "${add_rss:-}" ] && row memory "opsdeck log add peak RSS" "$(mb "$add_rss")" "<= 30 MB"
[ -n "${verify_rss:-}" ] && row memory "opsdeck log verify peak RSS ($entries entries)" \
	"$(mb "$verify_rss")" "<= 30 MB"

# ---- the table ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
fs=$(df -T "$out" 2>/dev/null | awk 'NR == 2 { print $2 }')
header="$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu), $fs, sqlite3 $(sqlite3 --version | cut -d' ' -f1)"

awk -F '\t' -v h="$header" 'BEGIN { print "opsdeck bench  " h; print "" }
	$1 != last { printf "[%s]\n", $1; last = $1 }
	{ printf "  %-66s %s%s\n", $2, $3, ($4 != "" ? "   (goal " $4 ")" : "") }' "$rows"

{
	printf '# opsdeck bench results\n\n%s\n\n' "$header"
	printf '| section | figure | value | goal |\n| --- | --- | --- | --- |\n'
	awk -F '\t' '{ gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$rows"
	printf '\n## Query plans (EXPLAIN QUERY PLAN of the SQL the console runs)\n'
	cat "$tmp/plans"
} >"$out/results.md"
say "wrote $out/results.md"
[ "${BENCH_ONLY:-}" = log ] || bash "$here/fleet.sh" # then the fleet part (issue #3)
