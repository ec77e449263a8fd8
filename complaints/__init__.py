"""The composition root: the console command, the local run and demo, the migrations of every service."""
