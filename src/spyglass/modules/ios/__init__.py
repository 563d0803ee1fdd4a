"""iOS artifact modules."""
