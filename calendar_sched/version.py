"""The tool's version, written into journal headers and the client's User-Agent."""

__version__ = "0.1.0"
