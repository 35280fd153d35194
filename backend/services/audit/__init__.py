"""Commissioner audit: commissioned, delivered, verified and billed hours, quality and exports."""
