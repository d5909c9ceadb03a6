"""Keys sent as a terminal delivers an auto-typed text: every key of the burst reaches
the app before the first is handled, with no pause between them (``pilot.press``
waits for the app to be idle after each key, which a password manager does not)."""

from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot

from tests.screens.conftest import settle

CHARACTERS = {"tab": "\t", "enter": "\r", "space": " "}


async def type_burst(pilot: Pilot[Any], *keys: str) -> None:
    """Sends ``keys`` (« a », « tab », « enter »…) in one burst, then waits for the app."""
    app: App[Any] = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        character = CHARACTERS.get(key, key if len(key) == 1 else None)
        # « . » is the key « full_stop », as the terminal driver names it.
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        event = events.Key(name, character)
        event.set_sender(app)
        driver.send_message(event)
    # Each round waits for what was queued when it began: the app reads the keys and
    # hands them on, the fields handle them and post their messages, the screen reacts.
    for _ in range(4):
        await pilot._wait_for_screen()
        await settle(pilot)
