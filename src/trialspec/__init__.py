"""trialspec: protocol-as-code for clinical studies."""
__version__ = "0.1.0"
