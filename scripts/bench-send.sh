#!/usr/bin/env bash
# bench-send: how fast `wahook send` delivers, against wrk and hey, on a loopback sink.
#
# One invocation builds wahook and internal/benchsink (a receiver that answers 200 "ok" to any POST,
# HTTP/1.1 keep-alive), starts the sink on a free port of 127.0.0.1 and alternates ROUNDS rounds of
#   wrk   -t2 -c32 -d5s, POSTing a fixed ~700-byte JSON body (Lua script)
#   hey   -z 5s -c 32 -m POST, with the same body
#   wahook send --provider itniotech --type all --count 120000 --workers 32 --retries none --quiet
# and prints requests/s for each and the ratios wahook/wrk and wahook/hey, per round and over the
# medians. wahook's rate is acked over the whole process's wall time, as a user would time it:
# generating every unique payload, sending and reporting included. Its peak RSS is printed beside.
#
# It installs what it lacks and says so: wrk with apt-get (skipped, with a line saying so, when apt-get
# cannot be used), hey with `go install` into a temporary GOBIN. Loopback only; every step is bounded
# by a timeout; the sink is killed on exit.
#
#   make bench-send                      # or: bash scripts/bench-send.sh
#   ROUNDS=1 COUNT=20000 make bench-send # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-120000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNS=32

say() { echo "bench-send: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-send.XXXXXX")
sink_pid=""
cleanup() {
	if [ -n "$sink_pid" ]; then
		kill "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------------------
have_wrk=1
if ! command -v wrk >/dev/null 2>&1; then
	as_root=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		as_root="sudo -n"
	fi
	if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
		say "wrk is missing: installing it with apt-get (apt-get update, then apt-get install wrk)"
		if ! { timeout 300 $as_root apt-get update -qq && timeout 300 $as_root apt-get install -y -qq wrk >/dev/null; }; then
			say "skipping wrk: apt-get could not install it"
			have_wrk=0
		fi
	else
		say "skipping wrk: it is not installed and apt-get is unavailable (or not root)"
		have_wrk=0
	fi
fi

have_hey=1
HEY=$(command -v hey 2>/dev/null || true)
if [ -z "$HEY" ]; then
	say "hey is missing: installing it with go install github.com/rakyll/hey@latest into a temporary GOBIN"
	if GOBIN="$work/gobin" timeout 300 "$GO" install github.com/rakyll/hey@latest; then
		HEY="$work/gobin/hey"
	else
		say "skipping hey: go install failed"
		have_hey=0
	fi
fi

say "building wahook and the sink"
timeout 300 "$GO" build -o "$work/wahook" ./cmd/wahook
timeout 300 "$GO" build -o "$work/benchsink" ./internal/benchsink

# --- the sink ----------------------------------------------------------------------------------------
"$work/benchsink" -addr 127.0.0.1:0 -addr-file "$work/sink.addr" -max-lifetime 20m &
sink_pid=$!
for _ in $(seq 100); do
	[ -s "$work/sink.addr" ] && break
	sleep 0.05
done
if [ ! -s "$work/sink.addr" ]; then
	say "the sink did not start"
	exit 2
fi
target="http://$(cat "$work/sink.addr")/hook"
say "sink listening at $target"

# --- the fixed body wrk and hey send: an ITNIO Tech text message, padded to 700 bytes -----------------
head='{"eventType":"up-message-event","messageId":"9f3870dc1622cd581638e28c0b32f11f","sendNum":1,"timestamp":1677067200,"from":"8613800138000","to":"8613900139000","message":{"type":"text","text":{"body":"'
tail='"},"context":{"forwarded":"false"}}}'
pad=$((700 - ${#head} - ${#tail}))
printf '%s%s%s' "$head" "$(printf 'Hello from the benchmark. %.0s' $(seq 40) | cut -c1-"$pad")" "$tail" >"$work/body.json"
cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("$work/body.json", "rb"))
wrk.body = f:read("*a")
f:close()
EOF
say "fixed body: $(wc -c <"$work/body.json") bytes; wahook: $COUNT generated itniotech payloads, every type in turn"

# --- rounds ------------------------------------------------------------------------------------------
# Each run_* prints "REQUESTS_PER_SECOND REQUESTS CPU_SECONDS": the client's own CPU time (user+sys,
# from bash's time) says what a request costs it, a figure that other load on the machine disturbs
# less than requests/s.
timed() { # timed OUT CMD...: CMD's stdout to OUT, its CPU seconds to OUT.cpu
	local out=$1 status=0
	shift
	local TIMEFORMAT='%U %S'
	{ time "$@" >"$out" 2>"$out.err" || status=$?; } 2>"$out.time"
	awk '{ print $1 + $2 }' "$out.time" >"$out.cpu"
	return "$status"
}
run_wrk() {
	timed "$work/wrk.out" timeout $((SECONDS_PER_RUN + 20)) wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" \
		-s "$work/post.lua" "$target" || { say "wrk failed: $(cat "$work/wrk.out.err")" >&2; return 1; }
	awk -v cpu="$(cat "$work/wrk.out.cpu")" '
		/ requests in / { n = $1 } /^Requests\/sec:/ { rps = $2 }
		END { printf "%.0f %d %s\n", rps, n, cpu }' "$work/wrk.out"
}
run_hey() {
	timed "$work/hey.out" timeout $((SECONDS_PER_RUN + 20)) "$HEY" -z "${SECONDS_PER_RUN}s" -c "$CONNS" -m POST \
		-T application/json -D "$work/body.json" "$target" || { say "hey failed: $(cat "$work/hey.out.err")" >&2; return 1; }
	awk -v cpu="$(cat "$work/hey.out.cpu")" '
		/Requests\/sec:/ { rps = $2 } /\[200\]/ { n = $2 }
		END { printf "%.0f %d %s\n", rps, n, cpu }' "$work/hey.out"
}
run_wahook() {
	local start end rss=""
	start=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		timed "$work/send.out" timeout 300 /usr/bin/time -f '%M' -o "$work/send.rss" "$work/wahook" send --target "$target" \
			--provider itniotech --type all --count "$COUNT" --workers "$CONNS" --retries none --quiet ||
			{ say "wahook send failed: $(cat "$work/send.out.err")" >&2; return 1; }
		rss=$(tail -n 1 "$work/send.rss")
	else
		timed "$work/send.out" timeout 300 "$work/wahook" send --target "$target" \
			--provider itniotech --type all --count "$COUNT" --workers "$CONNS" --retries none --quiet ||
			{ say "wahook send failed: $(cat "$work/send.out.err")" >&2; return 1; }
	fi
	end=$(date +%s%N)
	# "scheduled N: A acked, ..." is the summary's first line; the rate is acked over the wall time.
	awk -v cpu="$(cat "$work/send.out.cpu")" -v ns=$((end - start)) -v rss="${rss:-?}" '
		/^scheduled/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "acked,") acked = $i + 0 }
		END { if (ns > 0) printf "%.0f %d %s %.0f %s\n", acked / (ns / 1e9), acked, cpu, ns / 1e6, rss }' "$work/send.out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
per_request() { awk -v cpu="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", cpu * 1e6 / n; else printf "n/a" }'; }

wrks=() heys=() wahooks=()
for round in $(seq "$ROUNDS"); do
	w=0 h=0
	if [ "$have_wrk" = 1 ]; then
		read -r w n cpu < <(run_wrk) || true
		w=${w:-0}
		wrks+=("$w")
		say "round $round: wrk    $(printf '%7.0f' "$w") requests/s   $(per_request "$cpu" "$n") µs of client CPU per request"
	fi
	if [ "$have_hey" = 1 ]; then
		read -r h n cpu < <(run_hey) || true
		h=${h:-0}
		heys+=("$h")
		say "round $round: hey    $(printf '%7.0f' "$h") requests/s   $(per_request "$cpu" "$n") µs of client CPU per request"
	fi
	read -r x n cpu ms rss < <(run_wahook) || true
	x=${x:-0}
	wahooks+=("$x")
	say "round $round: wahook $(printf '%7.0f' "$x") requests/s   $(per_request "$cpu" "$n") µs of client CPU per request ($n acked in ${ms}ms, the whole process; peak RSS ${rss} KiB)"
	say "round $round: wahook/wrk $(ratio "$x" "$w"), wahook/hey $(ratio "$x" "$h")"
done

mw=$(median "${wrks[@]:-0}")
mh=$(median "${heys[@]:-0}")
mx=$(median "${wahooks[@]}")
say "median of $ROUNDS rounds: wrk $(printf '%.0f' "$mw"), hey $(printf '%.0f' "$mh"), wahook $(printf '%.0f' "$mx") requests/s"
say "wahook/wrk $(ratio "$mx" "$mw") (goal >= 0.8), wahook/hey $(ratio "$mx" "$mh") (goal >= 1.3)"
