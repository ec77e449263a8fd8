#!/bin/sh
# Install the project into the virtualenv $UV_PROJECT_ENVIRONMENT from uv.lock, without dev dependencies.
# Run from the project root. deploy/Dockerfile runs it in the builder stage and tests/deploy runs it into a
# temporary venv, so both install exactly the same way.
#   build-venv.sh deps     third-party packages only (cached image layer: changes only with uv.lock)
#   build-venv.sh project  the project itself (editable: the venv points at the source next to it)
set -eu

: "${UV_PROJECT_ENVIRONMENT:?set UV_PROJECT_ENVIRONMENT to the target venv}"
UV="${UV:-uv}"

case "${1:-}" in
    deps)
        "$UV" sync --frozen --no-dev --no-install-project
        ;;
    project)
        "$UV" sync --frozen --no-dev
        # The venv's packages are compiled by uv (UV_COMPILE_BYTECODE); the project source is compiled here
        # because the root filesystem is read-only at run time.
        "$UV_PROJECT_ENVIRONMENT/bin/python" -m compileall -q complaints shared services
        ;;
    *)
        echo "usage: $0 deps|project" >&2
        exit 2
        ;;
esac
