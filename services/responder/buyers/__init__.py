"""The responder's own buyer history: a projection of ComplaintClassified, read by the buyers API."""
