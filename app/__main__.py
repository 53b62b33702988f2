"""`python -m app` is the same as `ganscope`."""

from app.cli import main

if __name__ == "__main__":  # the training child process re-imports this module: do not rerun
    raise SystemExit(main())
