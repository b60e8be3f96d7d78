"""CLI commands beyond validate/schema/plan, one module each (each defines `command`)."""
