"""Renderers: turn result objects into console text, JSON, Markdown, JUnit, SARIF. Compute nothing."""
