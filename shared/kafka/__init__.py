"""Kafka producer and the shared consumer loop."""
