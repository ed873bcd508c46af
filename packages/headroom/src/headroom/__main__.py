"""`python -m headroom`: the `headroom` command without its console script."""

from headroom.surfaces.cli import main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
