"""Drawing functions. Only this subpackage imports matplotlib."""
