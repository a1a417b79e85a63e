namespace EdgeLstm.Training;

/// <summary>
/// Where a training run stands: iterations done, epochs done, and the place in the current epoch's shuffled order,
/// kept as the shuffling generator's state from before that order was drawn plus the position in it. That is all a
/// checkpoint needs to draw exactly the batches an uninterrupted run would.
/// </summary>
/// <param name="Iteration">Training iterations completed.</param>
/// <param name="EpochsCompleted">Full passes over the training set completed.</param>
/// <param name="EpochPosition">Examples of the current epoch's order already used.</param>
/// <param name="EpochShuffleState">The shuffling generator's state just before the current epoch's order was drawn.</param>
public sealed record TrainingCursor(long Iteration, int EpochsCompleted, int EpochPosition, ulong[] EpochShuffleState);
