"""Git hosting organizations (and their Azure DevOps projects and wikis)."""
