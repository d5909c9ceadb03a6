"""« Actualiser » is F5 on every screen that has it, and F5 alone: the operators' screen
also took « r », and its footer said « r » where every other screen says « F5 »."""

import importlib
import inspect
import pkgutil

from textual.binding import Binding

import csu.screens


def refresh_keys() -> dict[str, str]:
    found = {}
    for module in pkgutil.iter_modules(csu.screens.__path__):
        loaded = importlib.import_module(f"csu.screens.{module.name}")
        for name, kind in inspect.getmembers(loaded, inspect.isclass):
            for binding in getattr(kind, "BINDINGS", ()):
                if isinstance(binding, Binding) and binding.description == "Actualiser":
                    found[f"{module.name}.{name}"] = binding.key
    return found


def test_every_refresh_is_f5_alone() -> None:
    keys = refresh_keys()
    assert "operators.OperatorsScreen" in keys
    assert {key for key in keys.values()} == {"f5"}, keys
