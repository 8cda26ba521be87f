"""Teams (departments) of agents: membership, business hours, how work is shared out."""
