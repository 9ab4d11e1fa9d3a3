"""Helpers shared by the tests: fakes, builders and sandbox fixtures.

Test modules import from here (or get fixtures from a conftest); no test module imports
another test module, and nothing here is collected as a test.
"""
