"""`python -m intent` runs the fleet-intent CLI."""

from .cli import main

if __name__ == "__main__":
    main()
