#!/usr/bin/env bash
# Print the path of a helm binary, building it first when the cache lacks it.
#
# helm is built from source with `go install` through the Go module proxy (no prebuilt
# binary is downloaded) into ~/.cache/oretrail/helm-<version>/bin, so later runs reuse it.
# The first build takes minutes on 2 cores; the time is printed on stderr.
#
#   scripts/helm.sh            # -> /root/.cache/oretrail/helm-v3.22.0/bin/helm
#   HELM_VERSION=v3.21.4 scripts/helm.sh
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE="${ORETRAIL_HELM_CACHE:-${HOME}/.cache/oretrail}/helm-${HELM_VERSION}"
BIN="${CACHE}/bin/helm"

if [[ -x "${BIN}" && -f "${CACHE}/.complete" ]]; then
    echo "${BIN}"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "helm.sh: 'go' is not on PATH; install Go 1.24+ to build helm ${HELM_VERSION}" >&2
    exit 1
fi

mkdir -p "${CACHE}/bin"
started=$(date +%s)
echo "helm.sh: building helm ${HELM_VERSION} with go install (first run only)..." >&2
# helm's own release build stamps its version and the Kubernetes version it assumes when no
# cluster is asked (helm template, helm lint) from the k8s.io modules it builds against;
# without these flags a source build reports no version and assumes Kubernetes 1.20
module_dir=$(go mod download -json "helm.sh/helm/v3@${HELM_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
k8s_minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "${module_dir}/go.mod")
if [[ -z "${k8s_minor}" ]]; then
    echo "helm.sh: cannot read the k8s.io/client-go version from ${module_dir}/go.mod" >&2
    exit 1
fi
ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in pkg/chartutil pkg/lint/rules; do
    ldflags+=" -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${k8s_minor}"
done
# -modcacherw: the module cache stays deletable by the user who filled it
GOBIN="${CACHE}/bin" GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 \
    go install -trimpath -ldflags "${ldflags}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
"${BIN}" version --short >/dev/null
touch "${CACHE}/.complete"
echo "helm.sh: built ${BIN} (${HELM_VERSION}, Kubernetes 1.${k8s_minor} by default) in $(($(date +%s) - started))s" >&2
echo "${BIN}"
