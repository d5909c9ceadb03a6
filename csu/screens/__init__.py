"""Textual screens, one per file; they talk to csu.services only, through workers."""
