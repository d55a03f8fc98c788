"""Static checks: resolve names, check types and units, lower expressions to the IR."""
