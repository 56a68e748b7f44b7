"""Registry feeds: the tables of what the registries know, their importers and exports."""
