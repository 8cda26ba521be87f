"""The gap report: visitor questions the knowledge base could not answer, grouped."""
