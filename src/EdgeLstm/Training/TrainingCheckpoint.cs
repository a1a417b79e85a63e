using EdgeLstm.Model;

namespace EdgeLstm.Training;

/// <summary>
/// Everything needed to continue a training run exactly: the weights, Adam's moments and step, the settings, the place
/// in the shuffled data and the dropout generator's state. Saved and loaded by <see cref="IO.CheckpointFile"/>.
/// </summary>
public sealed class TrainingCheckpoint
{
    /// <summary>The weights.</summary>
    public required LstmModel Model { get; init; }

    /// <summary>Adam's first moments, laid out like <see cref="LstmModel.Parameters"/>.</summary>
    public required float[] FirstMoment { get; init; }

    /// <summary>Adam's second moments, laid out like <see cref="LstmModel.Parameters"/>.</summary>
    public required float[] SecondMoment { get; init; }

    /// <summary>Adam steps taken (its bias correction's t).</summary>
    public required long AdamStep { get; init; }

    /// <summary>The run's settings.</summary>
    public required RecipeSettings Settings { get; init; }

    /// <summary>Where the run stands.</summary>
    public required TrainingCursor Cursor { get; init; }

    /// <summary>The dropout generator's state.</summary>
    public required ulong[] DropoutState { get; init; }

    /// <summary>
    /// The best weights so far of a run that keeps them (early stopping: the weights it ends with if no later epoch
    /// validates better), laid out like <see cref="LstmModel.Parameters"/>; null when the run keeps none.
    /// </summary>
    public float[]? BestParameters { get; init; }

    /// <summary>Examples in the training set the run uses (a resume on another set is refused).</summary>
    public required int TrainingExamples { get; init; }

    /// <summary>
    /// What a front end keeps with its run beyond the trainer's state, as text under keys starting with
    /// <see cref="IO.CheckpointFile.RunFactPrefix"/> (training on a sequence file: the data's fingerprint, the options it
    /// was read with, the epoch's loss so far). Read back as found: the front end that wrote them checks them.
    /// </summary>
    public IReadOnlyDictionary<string, string> RunFacts { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
