"""The choice of a polling station for a president (creating an operator, changing a
role): the cell's bureaus, « code — name », loaded once the window is drawn."""

from typing import Any

from textual import work

from csu.services.operators import list_bureaus
from csu.widgets.plain import PlainSelect


class BureauSelect(PlainSelect):
    """The bureaus as the administrator's services list them; ``chosen`` is selected
    once they are loaded, if it is one of them."""

    def __init__(self, *, chosen: str | None = None, **options: Any) -> None:
        super().__init__([], prompt="Choisissez le bureau", **options)
        self.chosen = chosen

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="bureaus", exit_on_error=False)
    def load(self) -> None:
        who = self.app.operator  # type: ignore[attr-defined]
        if who is None:
            return
        bureaus = list_bureaus(self.app.deps, who)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, bureaus)

    def _show(self, bureaus: list[tuple[str, str]]) -> None:
        self.set_options([(f"{code} — {name}" if name else code, code) for code, name in bureaus])
        if self.chosen in {code for code, _ in bureaus}:
            self.value = self.chosen
