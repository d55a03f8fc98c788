"""The Spark backend: trialspec's SQL (engine/sql) run on Spark SQL (docs/engine.md, "Spark")."""
