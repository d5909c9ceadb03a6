"""Pure rules of CSU: no I/O, no SQL, no Textual."""
