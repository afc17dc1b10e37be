"""Code references: where source code names a flag, found by patterns of the vendors' SDK
calls (or the workspace's own), and what that says about the manifests."""
