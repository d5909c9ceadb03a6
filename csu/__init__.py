"""CSU: operator terminal of a voters support cell."""
