"""`interlock drill BUILD_DIR`: rehearse the incident response plan on a local Anvil."""
