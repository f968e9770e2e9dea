"""Building the items of the test modules, with the fixtures and marks that apply to them."""
