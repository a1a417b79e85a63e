namespace EdgeLstm.Training;

/// <summary>How <see cref="RecipeTrainer.Run"/> ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All iterations were done.</summary>
    Completed = 0,

    /// <summary>Cancellation was requested; the run stopped between two iterations, in a state a checkpoint can save.</summary>
    Cancelled = 1,

    /// <summary>
    /// A loss, a gradient or a weight was not finite; the run stopped there, never applying a non-finite gradient
    /// (<see cref="RecipeTrainer.NonFinite"/> says where, and whether a checkpoint made now is good).
    /// </summary>
    NonFinite = 2,
}
