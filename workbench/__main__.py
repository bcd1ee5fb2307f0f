"""`python -m workbench` is the same as the `gan-workbench` command; it is also how torchrun
starts each training process (`torchrun --nproc-per-node N -m workbench train ...`)."""

from workbench.cli import main

if __name__ == "__main__":  # not when imported again by name (a spawned child process)
    raise SystemExit(main())
