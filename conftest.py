# The checkers' fixtures and the `task` marker come from the flasklings pytest plugin.
pytest_plugins = ["flasklings.plugin"]
