"""Vendor adapters: each a pair of translations (live -> model, model -> requests) and a client."""
