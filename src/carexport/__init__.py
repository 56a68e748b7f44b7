"""carexport: China's used-car export licensing under 商贸函〔2025〕648号."""

__version__ = "0.1.0"
