"""The API's routes, one module per resource; ``csu.api.app`` includes them."""
