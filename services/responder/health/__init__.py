"""Account health: Amazon's figures as a time series, our running ODR estimate, complaint spikes per ASIN."""
