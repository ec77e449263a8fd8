"""Demo and test inputs shaped like what Amazon really sends: relay e-mails, SES/SNS envelopes, notifications."""
