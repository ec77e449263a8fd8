#!/usr/bin/env bash
# Install checkov into its own venv (.tools/checkov-venv) if absent.
# checkov pins many libraries (boto3, pydantic, ...) that would fight the project's lock, so it never
# goes into .venv. Idempotent: a venv whose checkov already has the pinned version is left alone.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CHECKOV_VENV:-${ROOT}/.tools/checkov-venv}"
PYTHON="${PYTHON:-python3.11}"

if [[ -x "${VENV}/bin/checkov" ]] \
    && [[ "$("${VENV}/bin/python" -m pip show checkov 2>/dev/null | sed -n 's/^Version: //p')" == "${CHECKOV_VERSION}" ]]; then
    exit 0
fi

rm -rf "${VENV}"
"${PYTHON}" -m venv "${VENV}"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}"
"${VENV}/bin/checkov" --version >/dev/null
