"""Android artifact modules."""
