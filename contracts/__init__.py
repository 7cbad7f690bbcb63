"""The messages: canonical models, citizen numbers, code lists, schemas and the contract suite."""
