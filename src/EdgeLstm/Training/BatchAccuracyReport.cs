namespace EdgeLstm.Training;

/// <summary>
/// The reference recipe's periodic line: "train epoch E train iteration I train accur A", the accuracy measured on the
/// batch about to be trained on, without dropout, before the step.
/// </summary>
/// <param name="EpochsCompleted">Full passes over the training set so far.</param>
/// <param name="Iteration">Iterations completed before this batch (0, 200, 400, … as in the recipe).</param>
/// <param name="Accuracy">Fraction of the batch classified right.</param>
public sealed record BatchAccuracyReport(int EpochsCompleted, long Iteration, double Accuracy);
