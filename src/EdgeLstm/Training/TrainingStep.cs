namespace EdgeLstm.Training;

/// <summary>What one training iteration reports to a progress display.</summary>
/// <param name="Iteration">Iterations completed, this one included.</param>
/// <param name="TotalIterations">Iterations the run will do in all.</param>
/// <param name="EpochsCompleted">Full passes over the training set so far.</param>
/// <param name="Loss">The batch loss, before the step.</param>
/// <param name="SamplesPerSecond">Training throughput since this run (or resume) started.</param>
/// <param name="Elapsed">Time since this run (or resume) started.</param>
/// <param name="Remaining">Estimated time left at that throughput.</param>
public sealed record TrainingStep(long Iteration, long TotalIterations, int EpochsCompleted, float Loss, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan Remaining);
