"""The op table (registry) and the public op functions, grouped by family."""
