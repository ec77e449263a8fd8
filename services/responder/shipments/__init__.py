"""Shipment tracking kept per order (milestone history) and the stalled-shipment check."""
