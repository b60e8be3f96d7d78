"""`python -m intent` runs the fleet-intent CLI."""

from intent.cli.main import main

if __name__ == "__main__":
    main()
