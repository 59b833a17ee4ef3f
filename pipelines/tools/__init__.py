"""Tools apart from the product: the sample generator and the benchmark. The code location never imports
them; `cds sample`, `cds bench` and the tests do."""
