"""The agent console: server-rendered pages under /console on the internal API (Jinja2 + vendored htmx)."""
