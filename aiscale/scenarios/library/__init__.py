"""The built-in scenario files (TOML); see ``aiscale scenarios``."""
