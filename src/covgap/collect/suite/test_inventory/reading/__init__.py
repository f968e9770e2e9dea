"""Reading one Python file into its summary: one pass over its statements, in a worker."""
