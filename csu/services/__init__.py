"""Use cases: one function per thing an operator does, one transaction each."""
