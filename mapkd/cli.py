"""Small helpers shared by the command-line tools in ``tools/``."""
from __future__ import annotations

import importlib
import sys
from typing import Callable, Mapping, Sequence


class CLIError(Exception):
    """A user error that a tool reports as one line and exit status 2."""


def run_cli(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None) -> int:
    """Run ``main`` and turn a :class:`CLIError` (or a missing file) into a one-line error."""
    try:
        code = main(argv)
    except CLIError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    return int(code or 0)


def dispatch(prog: str, description: str, commands: Mapping[str, tuple[str, str]],
             argv: Sequence[str] | None = None) -> int:
    """Dispatch ``prog SUBCOMMAND ...`` to ``module.main(rest_of_argv)``.

    ``commands`` maps a sub-command to ``(module path, one-line help)``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help'):
        lines = [f'usage: {prog} {{{",".join(commands)}}} [options]', '', description, '',
                 'sub-commands:']
        lines += [f'  {name:<12} {help_}' for name, (_, help_) in commands.items()]
        lines += ['', f'Run "{prog} SUBCOMMAND --help" for the options of one sub-command.']
        print('\n'.join(lines))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in commands:
        import difflib
        close = difflib.get_close_matches(name, list(commands), n=3)
        hint = f' Did you mean: {", ".join(close)}?' if close else ''
        print(f'error: unknown sub-command {name!r}; choose from {", ".join(commands)}.{hint}',
              file=sys.stderr)
        return 2
    module = importlib.import_module(commands[name][0])
    return run_cli(module.main, rest)
