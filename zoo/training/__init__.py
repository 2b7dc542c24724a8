"""Training: recipes, strategies, the trainer loop, checkpoints and logs."""
