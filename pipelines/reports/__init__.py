"""Reports: templated Vietnamese publications rendered from the marts."""
