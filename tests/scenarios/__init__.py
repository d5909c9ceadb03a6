"""Each source document (seed) walked through the app, one module per seed."""
