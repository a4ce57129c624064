"""Security tests: hostile feeds and pages, paths and names, property-based checks."""
