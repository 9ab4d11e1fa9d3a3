"""The APIs: HTTP clients, backends (cost model, pack key, payloads), settings, connect()."""
