"""What the database gives every service: transactions, dialect differences, idempotent requests."""
