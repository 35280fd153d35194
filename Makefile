# Thin wrappers over dev.py, which needs only Python 3.11+.
.PHONY: start test
start:
	python3 dev.py start
test:
	python3 dev.py test
