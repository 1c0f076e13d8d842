"""The HTTP contract, built once: problems, auth, pagination, ETags, idempotency, transactions."""
