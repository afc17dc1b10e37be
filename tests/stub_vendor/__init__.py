"""A third vendor that exists only in the tests: its own package plus one registration line."""
