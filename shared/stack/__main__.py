"""``python -m shared.stack``: the ``stack`` CLI; ``stack up --detach`` starts its background process this way."""

from shared.stack.cli import app

if __name__ == "__main__":
    app(prog_name="complaints stack")
