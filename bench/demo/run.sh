#!/usr/bin/env bash
# make demo: three demo origins on 127.0.0.1:9001-9003, tether in front of them
# on bench/demo/tether.cfg (127.0.0.1:8080, runtime API on 127.0.0.1:9999), a
# first request through it, and what to try next. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."

cfg=bench/demo/tether.cfg
echo "\$ ./bin/tether -c -f $cfg"
./bin/tether -c -f "$cfg"

pids=()
cleanup() {
	trap - EXIT INT TERM
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	echo "demo stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

./bin/tetherbench origins -listen 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003 &
pids+=($!)
# Wait (bounded) until the origins listen: tether checks them from the start.
for port in 9001 9002 9003; do
	for _ in $(seq 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then break; fi
		sleep 0.1
	done
done
./bin/tether -f "$cfg" &
pids+=($!)

# Wait (bounded) until tether answers.
for _ in $(seq 100); do
	if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then break; fi
	sleep 0.1
done

echo
echo "\$ curl -si http://127.0.0.1:8080/"
first=$(curl -si --max-time 5 http://127.0.0.1:8080/ | tr -d '\r')
echo "$first"
cookie=$(echo "$first" | sed -n 's/^set-cookie: \(SRV=[^;]*\).*/\1/Ip' | head -1)

cat <<TRY

tether is running. Try, in another terminal:
  curl -si http://127.0.0.1:8080/                       # balanced; set-cookie pins the client to a server
  curl -si -b '${cookie:-SRV=...}' http://127.0.0.1:8080/      # the cookie sends you back to the same server
  echo 'show servers state' | socat stdio tcp4-connect:127.0.0.1:9999
  echo 'show stat' | socat stdio tcp4-connect:127.0.0.1:9999 | cut -d, -f1,2,18,37,38   # health checks
  ./bin/tetherctl -s 127.0.0.1:9999 set server app/s1 state drain   # then: ... show servers state
  ./bin/tetherctl -s 127.0.0.1:9999 set dynamic-cookie-key backend app newkey
  ./bin/tetherbench load -target 127.0.0.1:8080 -cookie SRV -d 5s
Ctrl-C stops the demo.
TRY
wait "${pids[1]}"
