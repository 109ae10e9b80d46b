#!/usr/bin/env bash
# Container smoke test: builds the image, runs it as a user would (zone folder bind-mounted),
# queries it with dig over UDP and TCP, changes a zone file and sees the answer change, scrapes
# /metrics and the probes, checks the HEALTHCHECK, the non-root user and port 53 inside its own
# network namespace, then stops it with SIGTERM and expects exit code 0 after the lame duck.
# Removes every container it started and the image it built, also on failure.
#
#   npm run test:container                                  # podman if installed, else docker
#   ENGINE=docker npm run test:container
#   BASE=localhost/node:24-slim npm run test:container      # another base image (build arg)
#   WORKERS=1 npm run test:container                        # one process (default 2: the worker path)
#
# Needs: podman (or docker), dig, node. Uses the host network (no port mapping, no iptables).
set -euo pipefail
cd "$(dirname "$0")/../.."

ENGINE=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
IMAGE=${IMAGE:-localhost/eclipso:smoke-$$}
NAME=eclipso-smoke-$$
ZONES=$(mktemp -d)
started=()

cleanup() {
  local rc=$?
  for c in "${started[@]}"; do "$ENGINE" rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "${KEEP_IMAGE:-}" ] || "$ENGINE" rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$ZONES"
  if [ "$rc" = 0 ]; then echo "container smoke test: ok"; else echo "container smoke test: FAILED (exit $rc)" >&2; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; "$ENGINE" logs "$NAME" 2>&1 | tail -20 >&2 || true; exit 1; }
step() { echo "--- $*"; }

# A port free for both UDP and TCP on 127.0.0.1, and one for the ops listener.
free_port() {
  node -e '
    const net = require("node:net"), dgram = require("node:dgram");
    (function tryOne() {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = s.address().port; s.close();
        const u = dgram.createSocket("udp4");
        u.on("error", () => tryOne());
        u.bind(port, "127.0.0.1", () => { u.close(); console.log(port); });
      });
    })();'
}
http() { node -e 'fetch(process.argv[1]).then(async (r) => { process.stdout.write(r.status + " " + await r.text()); }, () => process.stdout.write("000 "))' "$1"; }
# Waits up to $2 seconds for command $1 (a string) to succeed. The deadlines below are far beyond
# the normal time (a second or two): they are reached only when something is wrong.
until_ok() { local end=$((SECONDS + $2)); while ! eval "$1" >/dev/null 2>&1; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done; }
# dig waits this long for an answer, once: an answer takes milliseconds, however busy the machine.
DIG_WAIT=(+time=10 +tries=1)
# Two processes by default, so that the multi-worker path (SO_REUSEPORT on Node.js 22.12+) runs.
WORKERS=${WORKERS:-2}

DNS_PORT=$(free_port)
OPS_PORT=$(free_port)
BUILD_FORMAT=()
# Podman: Docker format (OCI images drop HEALTHCHECK); no layer cache, which would leave the
# build stages behind as untagged images.
# Scheduled health checks need systemd under Podman; the test runs the check itself instead.
RUN_OPTS=()
if [ "$ENGINE" = podman ]; then BUILD_FORMAT=(--format docker --layers=false); RUN_OPTS=(--health-interval disable); fi
BUILD_ARGS=()
[ -z "${BASE:-}" ] || BUILD_ARGS=(--build-arg "BASE=$BASE")

step "build $IMAGE with $ENGINE ${BASE:+(BASE=$BASE)}"
"$ENGINE" build -q "${BUILD_FORMAT[@]}" "${BUILD_ARGS[@]}" -t "$IMAGE" . >/dev/null
echo "image size: $("$ENGINE" image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
[ "$("$ENGINE" image inspect -f '{{.Config.User}}' "$IMAGE")" = "1000:1000" ] || fail "image user is not 1000:1000"

step "run with a bind-mounted zone folder (the seed's standalone usage), WORKERS=$WORKERS, DNS on $DNS_PORT, ops on $OPS_PORT"
chmod 755 "$ZONES"
cp zones/hello_a.net.toml "$ZONES/"
chmod 644 "$ZONES"/*
started+=("$NAME")
"$ENGINE" run -d --name "$NAME" --network host "${RUN_OPTS[@]}" \
  --mount "src=$ZONES,target=/config/domains,type=bind" -e ZONE_DIR=/config/domains \
  -e PORT="$DNS_PORT" -e METRICS_PORT="$OPS_PORT" -e WORKERS="$WORKERS" -e SHUTDOWN_GRACE=600 "$IMAGE" >/dev/null 2> >(grep -v systemd >&2)
until_ok '[ "$(http http://127.0.0.1:$OPS_PORT/readyz)" = "200 ready" ]' 120 || fail "not ready within 120 s"
if [ "$WORKERS" -gt 1 ]; then
  # Node.js 22.12+ (the image's 24) runs DNS threads, each with its own SO_REUSEPORT sockets; an
  # older one serves with one thread and says so.
  node_version=$("$ENGINE" exec "$NAME" node -p process.versions.node)
  logs=$("$ENGINE" logs "$NAME" 2>/dev/null)
  if node -e 'const [a, b] = process.argv[1].split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' "$node_version"; then
    ready=$(grep '"msg":"workers ready"' <<<"$logs" || true)
    grep -qF "\"workers\":$WORKERS," <<<"$ready" && grep -qF '"sockets":"reusePort"' <<<"$ready" \
      || fail "expected $WORKERS DNS threads on reusePort sockets (Node.js $node_version): ${ready:-no 'workers ready' line}"
    echo "$WORKERS DNS threads, reusePort sockets (Node.js $node_version)"
  else
    grep -qF "\"msg\":\"WORKERS=$WORKERS needs Node.js 22.12 or later; serving with one thread\"" <<<"$logs" \
      || fail "Node.js $node_version: expected the warning that WORKERS=$WORKERS serves with one thread"
    echo "Node.js $node_version: one thread, as the warning says"
  fi
fi

step "dig over UDP and TCP"
mx=$(dig @127.0.0.1 -p "$DNS_PORT" hello_a.net mx +short "${DIG_WAIT[@]}" | sort)
[ "$mx" = $'10 host-1.hello_a.net.\n20 host-2.hello_a.net.' ] || fail "UDP MX answer: $mx"
a=$(dig @127.0.0.1 -p "$DNS_PORT" hello_a.net a +tcp +short "${DIG_WAIT[@]}")
[ "$a" = 203.100.1.1 ] || fail "TCP A answer: $a"

step "change the mounted zone file; the answer follows"
sed -i 's/address = "203.100.1.1"/address = "198.51.100.77"/' "$ZONES/hello_a.net.toml"
until_ok '[ "$(dig @127.0.0.1 -p $DNS_PORT hello_a.net a +short "${DIG_WAIT[@]}" | sort | head -1)" = 198.51.100.77 ]' 60 \
  || fail "answer did not change after editing the zone file"

step "metrics, probes, HEALTHCHECK, user"
metrics=$(http "http://127.0.0.1:$OPS_PORT/metrics")
for want in '^200 ' 'eclipso_dns_requests_total{proto="udp",type="MX"} 1' 'eclipso_dns_requests_total{proto="tcp",type="A"} 1' \
  'eclipso_zones_loaded 1' 'eclipso_reload_total{source="folder"} 2' 'process_resident_memory_bytes'; do
  grep -qF -- "${want#^}" <<<"$metrics" || fail "/metrics lacks: $want"
done
[ "$(http "http://127.0.0.1:$OPS_PORT/healthz")" = "200 ok" ] || fail "/healthz"
if [ "$ENGINE" = podman ]; then "$ENGINE" healthcheck run "$NAME" >/dev/null || fail "HEALTHCHECK failed"
else "$ENGINE" exec "$NAME" node /app/dist/ops/healthcheck.js || fail "HEALTHCHECK command failed"; fi
[ "$("$ENGINE" exec "$NAME" node -p 'process.getuid()')" = 1000 ] || fail "server does not run as uid 1000"

step "SIGTERM: readiness 503, still answering during the lame duck; a second SIGTERM ends it, exit 0"
# SHUTDOWN_GRACE=600: the checks below run inside the lame duck however long they take.
"$ENGINE" kill --signal TERM "$NAME" >/dev/null
until_ok '[ "$(http http://127.0.0.1:$OPS_PORT/readyz | cut -c1-3)" = 503 ]' 60 || fail "readiness did not turn 503"
a=$(dig @127.0.0.1 -p "$DNS_PORT" hello_a.net a +short "${DIG_WAIT[@]}" | sort | head -1)
[ "$a" = 198.51.100.77 ] || fail "no answer during the lame duck: $a"
"$ENGINE" logs "$NAME" 2>/dev/null | grep -q '"msg":"closing sockets"' && fail "sockets closed inside the 600 s lame duck"
"$ENGINE" kill --signal TERM "$NAME" >/dev/null
code=$(timeout 120 "$ENGINE" wait "$NAME") || fail "still running 120 s after the second SIGTERM"
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
"$ENGINE" logs "$NAME" 2>/dev/null | grep -q '"msg":"stopped"' || fail "no 'stopped' log line"

step "port 53 as uid 1000 in the container's own network namespace (the image default)"
started+=("$NAME-53")
"$ENGINE" run -d --name "$NAME-53" --network none "${RUN_OPTS[@]}" \
  --sysctl net.ipv4.ip_unprivileged_port_start=53 "$IMAGE" >/dev/null 2> >(grep -v systemd >&2)
until_ok "$ENGINE exec -e METRICS_PORT=0 $NAME-53 node /app/dist/ops/healthcheck.js" 120 \
  || { NAME=$NAME-53; fail "no DNS answer on port 53 inside the container"; }
"$ENGINE" stop -t 60 "$NAME-53" >/dev/null 2>&1
[ "$("$ENGINE" inspect -f '{{.State.ExitCode}}' "$NAME-53")" = 0 ] || fail "port-53 container did not exit 0"
