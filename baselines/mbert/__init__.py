"""mBERT baseline for Podium teams: data loader, multi-task model, training, inference."""
