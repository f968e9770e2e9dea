"""The project's code: each function's facts from one walk of its AST, complexity, the effects
that make a bug costly, and the outline the call graph needs."""
