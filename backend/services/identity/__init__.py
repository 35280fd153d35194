"""Identity: accounts, passwords, API sessions and tokens, and the one place access is decided."""
