"""Interactive widgets, one module each. Only this subpackage imports ipywidgets."""
