"""The bundled reports and labelled sets (data only; shipped in the wheel as `clusterkb.corpus`)."""
