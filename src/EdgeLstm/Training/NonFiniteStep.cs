namespace EdgeLstm.Training;

/// <summary>
/// The iteration at which training stopped because a number went non-finite (<see cref="TrainingOutcome.NonFinite"/>).
/// </summary>
/// <param name="Iteration">The iteration that failed, counted from 1 as progress is.</param>
/// <param name="Loss">Its loss.</param>
/// <param name="GradientNorm">Its gradients' global L2 norm, before clipping.</param>
/// <param name="StateIsGood">
/// True when the model and optimiser still hold finite numbers (a non-finite gradient is never applied), so a checkpoint
/// made now is the last good state; false when the update itself overflowed the weights, so only an earlier saved
/// state is good.
/// </param>
public sealed record NonFiniteStep(long Iteration, float Loss, float GradientNorm, bool StateIsGood);
