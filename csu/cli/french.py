"""The command line in French: help pages, usage lines and usage errors.

Typer's parser (a copy of Click) writes its help and its usage errors in English,
with no catalogue to translate them. The root group here gives every command of the
tree a context whose formatter writes French headings, and shows usage errors in
French from what each error carries (the option, the parameter, the pydantic error
behind a bad value) rather than from its English text.
"""

import re
import sys
from collections.abc import Sequence
from typing import Any

from typer._click.core import Command, Context
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup
from typer.exceptions import Abort

from csu.config import french_fault, shown
from csu.domain.plural import plural_of

INTERRUPTED = 130  # the exit status of a command stopped by Ctrl+C (128 + SIGINT)
_HEADINGS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}
# The bracket Typer ends an option's row with: « [default: 8000; 1<=x<=65535] ».
_EXTRAS = re.compile(r"\[([^\[\]]+)\]\s*$")
_EXTRA_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"default: (.*)", re.S), r"défaut : \1"),
    (re.compile(r"required"), "obligatoire"),
    (re.compile(r"env var: (.*)", re.S), r"variable : \1"),
    (re.compile(r"(-?[\d.]+)<=x<=(-?[\d.]+)"), r"de \1 à \2"),
    (re.compile(r"x<=(-?[\d.]+)"), r"au plus \1"),
    (re.compile(r"(-?[\d.]+)<=x"), r"au moins \1"),
)
_HELP_OPTION = ("Show this message and exit.", "Affiche cette aide et s'arrête.")
_METAVARS: tuple[tuple[str, str], ...] = (
    ("<str>", "<texte>"),
    ("<int>", "<entier>"),
    ("<int range>", "<entier>"),
    ("<float>", "<nombre>"),
    ("<float range>", "<nombre>"),
    ("<path>", "<chemin>"),
    ("COMMAND [ARGS]...", "COMMANDE [ARGUMENTS]..."),
)


def _metavars(text: str) -> str:
    for english, french in _METAVARS:
        text = text.replace(english, french)
    return text


class FrenchFormatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, _metavars(args), "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        # French puts a (no-break) space before a colon.
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}\u00a0:\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl(
            [(_metavars(first), _row_text(second)) for first, second in rows],
            col_max,
            col_spacing,
        )


def _row_text(text: str) -> str:
    text = text.replace(*_HELP_OPTION)
    found = _EXTRAS.search(text)
    if found is None:
        return text
    pieces = []
    for piece in found.group(1).split("; "):
        for pattern, french in _EXTRA_WORDS:
            if pattern.fullmatch(piece):
                piece = pattern.sub(french, piece)
                break
        pieces.append(piece.replace("(dynamic)", "(calculé)"))
    return f"{text[: found.start()]}[{' ; '.join(pieces)}]"


class FrenchContext(Context):
    formatter_class = FrenchFormatter


class FrenchGroup(TyperGroup):
    """The root ``csu`` group: French help for the whole tree, French usage errors."""

    context_class = FrenchContext

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        _frenchify(self)
        _quiet_interrupts_in_callbacks()
        given = (args, prog_name, complete_var)
        if not standalone_mode:
            return super().main(*given, standalone_mode, windows_expand_args, **extra)
        try:
            code = super().main(*given, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as error:
            error.show()
            sys.exit(error.exit_code)
        except UsageError as error:
            show_usage_error(error)
            sys.exit(error.exit_code)
        except ClickException as error:
            _stderr(f"Erreur : {error.format_message()}")
            sys.exit(error.exit_code)
        except Abort:
            _stderr("Abandon.")
            sys.exit(1)
        if code == INTERRUPTED:  # Typer's answer to Ctrl+C, silent otherwise
            _stderr("Interrompu (Ctrl+C) : ce qui n'était pas terminé n'a pas été enregistré.")
        sys.exit(code if isinstance(code, int) else 0)


def _quiet_interrupts_in_callbacks() -> None:
    """A Ctrl+C that lands while Python runs a callback it cannot raise from (a weak
    reference's, at garbage collection) was printed as « Exception ignored in … » with
    a traceback, before the French line saying the command was interrupted. The
    interrupt is still told, once, by that line; any other such error is printed as
    Python prints it."""
    previous = sys.unraisablehook
    if getattr(previous, "quiet_interrupts", False):
        return  # installed by an earlier command of this process

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous(unraisable)

    hook.quiet_interrupts = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _frenchify(command: Command) -> None:
    """Every command and group of the tree builds French contexts (the tree is built
    anew from the Typer apps at each run, so modules added later are covered)."""
    command.context_class = FrenchContext
    for child in getattr(command, "commands", {}).values():
        _frenchify(child)


def show_usage_error(error: UsageError) -> None:
    ctx = error.ctx
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"Essayez « {ctx.command_path} {ctx.help_option_names[0]} » pour l'aide.\n"
        _stderr(f"{ctx.get_usage()}\n{hint}")
    _stderr(f"Erreur : {describe_usage_error(error)}")


def describe_usage_error(error: UsageError) -> str:
    """What was wrong on the command line, in French."""
    if isinstance(error, NoSuchOption):
        text = f"option inconnue : {error.option_name}"
        if error.possibilities:
            text += f" (vouliez-vous dire {', '.join(sorted(error.possibilities))} ?)"
        return text + "."
    if isinstance(error, MissingParameter):
        param = error.param
        name = param_name(param) if param is not None else "?"
        if param is not None and param.param_type_name == "argument":
            return f"argument {name} manquant."
        return f"option {name} obligatoire manquante."
    if isinstance(error, BadParameter):
        name = param_name(error.param) if error.param is not None else "la valeur"
        return f"{name} : {_bad_value(error)}."
    if isinstance(error, BadOptionUsage):
        if "does not take a value" in error.message:
            return f"l'option {error.option_name} ne prend pas de valeur."
        if "requires" in error.message:
            return f"l'option {error.option_name} attend une valeur."
    if _pydantic_faults(error):
        return f"{_bad_value(error)}."
    return _usage_message(error.message)


def param_name(param: Any) -> str:
    """A parameter as usage errors name it: FICHIER (an argument), --limit (an option)."""
    if param.param_type_name == "argument":
        return str(param.metavar or param.name).upper()
    opts = getattr(param, "opts", None) or [param.name]
    return " / ".join(opts)


def _bad_value(error: UsageError) -> str:
    faults = _pydantic_faults(error)
    if faults:
        fault = faults[0]
        return f"{french_fault(fault)} (reçu « {shown(fault.get('input'))} »)"
    return f"valeur invalide ({error.message})"


def _pydantic_faults(error: UsageError) -> list[Any]:
    """The pydantic errors behind a value Typer refused (it raises from them)."""
    errors = getattr(error.__cause__, "errors", None)
    return list(errors()) if callable(errors) else []


_USAGE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"No such command '(.*)'\. Did you mean (.*)\?", re.S),
        "commande inconnue : « {0} » (vouliez-vous dire {1} ?).",
    ),
    (re.compile(r"No such command '(.*)'\.", re.S), "commande inconnue : « {0} »."),
    (re.compile(r"Missing command\.?"), "commande manquante."),
    (re.compile(r"Value (.*) is not a valid (.*)\.", re.S), "valeur {0} invalide."),
)


_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", re.S)


def _usage_message(message: str) -> str:
    extra = _EXTRA_ARGUMENTS.fullmatch(message)
    if extra:
        # Click joins the extra arguments with spaces: as many words, as many arguments.
        shown = extra.group(1)
        return f"{plural_of(len(shown.split()), 'argument')} en trop : {shown}."
    for pattern, french in _USAGE_MESSAGES:
        found = pattern.fullmatch(message)
        if found:
            return french.format(*found.groups())
    return f"ligne de commande incorrecte ({message})."


def _stderr(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()
