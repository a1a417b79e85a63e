using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Native;

/// <summary>
/// A trainer behind a handle: the <see cref="LstmTrainer"/> (Adam and dropout state), and what a CLI checkpoint records
/// besides: the run's settings, the iterations done, and the CLI's place in its shuffled data, carried through unchanged.
/// </summary>
/// <remarks>
/// A trainer created in C has no data order of its own: its checkpoints record the start of a one-example set, so
/// the CLI's <c>train --resume</c> refuses them on a real data set (its <c>--init</c> takes their weights). A trainer
/// loaded from a CLI checkpoint keeps the CLI's data place, so the CLI can resume what C saves from it.
/// </remarks>
internal sealed class TrainerEntry : ExclusiveEntry
{
    private readonly TrainingCursor _dataCursor;
    private readonly int _examples;
    private readonly bool _createdInC;
    private int _lastBatch = 1;

    /// <summary>A new run: <paramref name="options"/>' seed starts the dropout masks.</summary>
    public TrainerEntry(ModelEntry model, TrainerOptions options)
        : base(model)
    {
        Trainer = new LstmTrainer(model.Model, options);
        Settings = new RecipeSettings
        {
            Model = model.Model.Config,
            Iterations = 0,
            BatchSize = 1,
            KeepProbability = options.KeepProbability,
            LearningRate = options.LearningRate,
            Seed = options.Seed,
            Loss = options.Loss,
            GradientClipNorm = options.GradientClipNorm,
        };

        // The shuffling generator a CLI run of this seed would start from (RecipeTrainer draws the dropout seed first).
        var seeds = new SeededRandom(options.Seed);
        seeds.NextUInt64();
        _dataCursor = new TrainingCursor(0, 0, 0, new ShuffledBatches(1, seeds.NextUInt64()).EpochShuffleState);
        _examples = 1;
        _createdInC = true;
    }

    /// <summary>A run continued from <paramref name="checkpoint"/>, whose model <paramref name="model"/> holds.</summary>
    public TrainerEntry(ModelEntry model, TrainingCheckpoint checkpoint, int threads)
        : base(model)
    {
        Settings = checkpoint.Settings;
        Iteration = checkpoint.Cursor.Iteration;
        _dataCursor = checkpoint.Cursor;
        _examples = checkpoint.TrainingExamples;
        Trainer = new LstmTrainer(model.Model, Settings.ToTrainerOptions(0) with { Threads = threads });
        checkpoint.FirstMoment.CopyTo(Trainer.Optimizer.FirstMoment);
        checkpoint.SecondMoment.CopyTo(Trainer.Optimizer.SecondMoment);
        Trainer.Optimizer.Step = checkpoint.AdamStep;
        Trainer.DropoutRandom.SetState(checkpoint.DropoutState);
    }

    public LstmTrainer Trainer { get; private set; }

    /// <summary>The run's settings as a checkpoint records them; the learning rate follows <see cref="RecipeSettings.LearningRateAt"/>.</summary>
    public RecipeSettings Settings { get; private set; }

    /// <summary>Training batches done in this run (those of the CLI before a checkpoint included).</summary>
    public long Iteration { get; private set; }

    protected override string Name => "trainer";

    /// <summary>
    /// One batch at the rate the settings give for this iteration: <paramref name="labels"/> for a classifier or
    /// <paramref name="targets"/> for a regression; empty <paramref name="lengths"/> = every sequence full length.
    /// </summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths)
    {
        Trainer.Optimizer.LearningRate = Settings.LearningRateAt(Iteration);
        float loss = Model.Model.Config.HeadRegresses
            ? Trainer.TrainBatch(inputs, batch, targets, lengths)
            : Trainer.TrainBatch(inputs, batch, labels, lengths);
        Iteration++;
        _lastBatch = batch;
        return loss;
    }

    /// <summary>A constant rate from the next batch on (a schedule from a CLI checkpoint ends).</summary>
    public void SetLearningRate(float rate)
    {
        var next = Settings with { LearningRate = rate, FinalLearningRate = null };
        next.ToTrainerOptions(0).Validate();
        Settings = next;
    }

    /// <summary>Clips the global gradient norm to <paramref name="norm"/> from the next batch on; 0 turns clipping off.</summary>
    public void SetGradientClipNorm(float norm)
    {
        var next = Settings with { GradientClipNorm = norm };
        Rebuild(Trainer.Options with { GradientClipNorm = norm });
        Settings = next;
    }

    /// <summary>Threads for the next batches (0 = one per processor).</summary>
    public void SetThreads(int threads) => Rebuild(Trainer.Options with { Threads = threads });

    /// <summary>Everything needed to continue exactly, in the CLI's checkpoint form.</summary>
    public TrainingCheckpoint Checkpoint() => new()
    {
        Model = Model.Read(m => m.Clone()),
        FirstMoment = Trainer.Optimizer.FirstMoment.ToArray(),
        SecondMoment = Trainer.Optimizer.SecondMoment.ToArray(),
        AdamStep = Trainer.Optimizer.Step,
        // A run of C's own records how far it went and its last batch size (the CLI's range caps it).
        Settings = _createdInC ? Settings with { Iterations = Iteration, BatchSize = Math.Min(_lastBatch, 1 << 16) } : Settings,
        Cursor = _dataCursor with { Iteration = Iteration },
        DropoutState = Trainer.DropoutRandom.GetState(),
        TrainingExamples = _examples,
    };

    protected override void Release() => Trainer.Dispose();

    /// <summary>
    /// The trainer's options are fixed at its creation: a new one takes over the optimiser's moments and step and the
    /// dropout generator's state, so the run continues exactly, and the old one's threads stop.
    /// </summary>
    private void Rebuild(TrainerOptions options)
    {
        options.Validate();
        var next = new LstmTrainer(Model.Model, options);
        Trainer.Optimizer.FirstMoment.CopyTo(next.Optimizer.FirstMoment);
        Trainer.Optimizer.SecondMoment.CopyTo(next.Optimizer.SecondMoment);
        next.Optimizer.Step = Trainer.Optimizer.Step;
        next.DropoutRandom.SetState(Trainer.DropoutRandom.GetState());
        Trainer.Dispose();
        Trainer = next;
    }
}
