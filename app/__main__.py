"""`python -m app` is the same as `ganscope`."""

from app.cli import main

raise SystemExit(main())
