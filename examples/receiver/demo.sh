#!/bin/sh
# make demo: start the reference receiver on a free loopback port, run the conformance suite against it
# for every provider in the strict profile, credentials (and Meta's signatures and handshake) included,
# and stop it again. Exits 0 only when every suite passed.
#
# usage: demo.sh [WAHOOK [RECEIVER]]   (defaults: bin/wahook, bin/reference-receiver)
set -u
wahook=${1:-bin/wahook}
receiver=${2:-bin/reference-receiver}
user=demo
token=demo-token-0123456789
secret=demo-secret-9876543210
appsecret=demo-app-secret-meta
verify=demo-verify-token

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wahook-demo.XXXXXX") || exit 2
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The receiver prints its URL as its first line on stdout, then serves until killed.
"$receiver" --auth-user "$user" --auth-token "$token" --app-secret "$appsecret" --verify-token "$verify" \
	--auth-header "X-Hook-Secret: $secret" >"$tmp/url" 2>"$tmp/receiver.log" &
pid=$!
url=
tries=0
while [ -z "$url" ]; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: the reference receiver did not start:" >&2
		cat "$tmp/receiver.log" >&2
		pid=
		exit 2
	fi
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ]; then
		echo "demo: the reference receiver printed no URL within 10s" >&2
		exit 2
	fi
	sleep 0.1
	url=$(head -n 1 "$tmp/url")
done
echo "== reference receiver (examples/receiver) listening at $url, requiring InnoPaaS's UserName and Authorization headers, Meta's signature, and an X-Hook-Secret header of its own"

status=0
for provider in innopaas itniotech meta; do
	# InnoPaaS documents the UserName/Authorization headers (--auth-user/--auth-token), Meta signs each
	# body with the app secret and checks the URL with a handshake first; ITNIO Tech documents none, so
	# only the receiver's own header can tell its webhooks from a stranger's.
	case "$provider" in
	innopaas) set -- --auth-user "$user" --auth-token "$token" --header "X-Hook-Secret: $secret" ;;
	meta) set -- --app-secret "$appsecret" --verify-token "$verify" --header "X-Hook-Secret: $secret" ;;
	*) set -- --header "X-Hook-Secret: $secret" ;;
	esac
	echo
	echo "== wahook conform --provider $provider --profile strict"
	"$wahook" conform --target "$url" --provider "$provider" --profile strict "$@"
	code=$?
	if [ "$code" -gt "$status" ]; then
		status=$code
	fi
done
echo
if [ "$status" -eq 0 ]; then
	echo "== the reference receiver passes the strict suite for every provider"
else
	echo "== conformance failures (exit $status): see above"
fi
exit "$status"
