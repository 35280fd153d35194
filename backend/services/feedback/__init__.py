"""Service user panel feedback: submission, one-time links, safety, reading and figures."""
