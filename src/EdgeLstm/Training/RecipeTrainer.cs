using System.Diagnostics;
using System.Numerics.Tensors;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Training;

/// <summary>
/// The reference recipe's training loop, reusable: shuffled mini-batches going round the training set epoch after
/// epoch, one <see cref="LstmTrainer"/> step each, the recipe's accuracy line every <see cref="RecipeSettings.ReportEvery"/>
/// iterations, checkpoints every <see cref="RecipeSettings.CheckpointEvery"/>, cancellation between iterations. A front
/// end (the CLI, the C ABI) only wires the callbacks to its output.
/// </summary>
/// <remarks>
/// One seed drives three independent generators: the initial weights (the seed itself), the dropout masks and the
/// shuffling. Everything that moves during training is in <see cref="CreateCheckpoint"/>, so a run resumed from a
/// checkpoint computes exactly the losses the uninterrupted run would.
/// </remarks>
public sealed class RecipeTrainer : IDisposable
{
    /// <summary>
    /// The rows the predictor runs at once, for the report lines and <see cref="Evaluate"/>. Its activations (for every
    /// step of a group: the gates and two layers' outputs) stay allocated all run long beside the trainer's, so the group
    /// is small: for the recipe 2.8 MB at 16 rows, where the batch of 64 took 11 MB and Evaluator's 500 took 90 MB. A
    /// row's result does not depend on the other rows, so the accuracies are those of one pass over the whole batch.
    /// </summary>
    public const int PredictionRows = 16;

    private readonly LabeledImages _train;
    private readonly LstmTrainer _trainer;
    private readonly LstmPredictor _predictor;
    private readonly ShuffledBatches _batches;
    private readonly int[] _indices;
    private readonly int[] _labels;
    private readonly float[] _inputs;
    private readonly int _reportRows;
    private readonly float[] _reportInputs;
    private readonly float[] _probabilities;

    /// <summary>Starts a new run with fresh weights from <paramref name="settings"/>.Seed.</summary>
    public RecipeTrainer(RecipeSettings settings, LabeledImages train)
        : this(settings, train, resume: null)
    {
    }

    /// <summary>
    /// Starts a new run from the weights of <paramref name="initial"/> (fine-tuning: a model of ours or one made by
    /// PyTorch) with a fresh optimiser and a fresh data order. The weights are copied; <paramref name="initial"/> is not
    /// changed. Its architecture must be <paramref name="settings"/>.Model.
    /// </summary>
    public RecipeTrainer(RecipeSettings settings, LabeledImages train, LstmModel initial)
        : this(settings, train, resume: null, initial)
    {
    }

    private RecipeTrainer(RecipeSettings settings, LabeledImages train, TrainingCheckpoint? resume, LstmModel? initial = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(train);
        settings.Validate();
        var config = settings.Model;
        if (train.Images.Columns != config.InputSize)
        {
            throw new ArgumentException($"The model reads {config.InputSize} inputs per step but the images have {train.Images.Columns} columns.", nameof(train));
        }

        if (train.Count == 0)
        {
            throw new ArgumentException("The training set is empty.", nameof(train));
        }

        Settings = settings;
        _train = train;
        var seeds = RunSeeds.From(settings.Seed);
        if (initial is not null && initial.Config != config)
        {
            throw new ArgumentException($"The initial model is {initial.Config.Describe()}; the run is set up for {config.Describe()}.", nameof(initial));
        }

        Model = resume?.Model ?? initial?.Clone() ?? LstmModel.Create(config, seeds.Weights);
        _trainer = new LstmTrainer(Model, settings.ToTrainerOptions(seeds.Dropout));
        _predictor = new LstmPredictor(Model, _trainer.Context);
        if (resume is null)
        {
            _batches = new ShuffledBatches(train.Count, seeds.Shuffle);
        }
        else
        {
            var cursor = resume.Cursor;
            _batches = new ShuffledBatches(train.Count, cursor.EpochsCompleted, cursor.EpochPosition, cursor.EpochShuffleState);
            resume.FirstMoment.CopyTo(_trainer.Optimizer.FirstMoment);
            resume.SecondMoment.CopyTo(_trainer.Optimizer.SecondMoment);
            _trainer.Optimizer.Step = resume.AdamStep;
            _trainer.DropoutRandom.SetState(resume.DropoutState);
            Iteration = cursor.Iteration;
        }

        int batch = settings.BatchSize;
        _indices = new int[batch];
        _labels = new int[batch];
        _inputs = new float[batch * train.Images.ImageLength];
        _reportRows = Math.Min(batch, PredictionRows);
        _reportInputs = new float[_reportRows * train.Images.ImageLength];
        _probabilities = new float[_reportRows * config.Classes];
    }

    /// <summary>The settings of the run (for a resumed run, the checkpoint's, with any overrides applied).</summary>
    public RecipeSettings Settings { get; }

    /// <summary>The model being trained, updated in place.</summary>
    public LstmModel Model { get; }

    /// <summary>Iterations completed.</summary>
    public long Iteration { get; private set; }

    /// <summary>Full passes over the training set completed.</summary>
    public int EpochsCompleted => _batches.EpochsCompleted;

    /// <summary>Threads the trainer uses.</summary>
    public int Threads => _trainer.Threads;

    /// <summary>Where and how the run stopped when <see cref="Run"/> returned <see cref="TrainingOutcome.NonFinite"/>.</summary>
    public NonFiniteStep? NonFinite { get; private set; }

    /// <summary>Called after every iteration.</summary>
    public Action<TrainingStep>? StepCompleted { get; set; }

    /// <summary>Called every <see cref="RecipeSettings.ReportEvery"/> iterations with the recipe's accuracy line.</summary>
    public Action<BatchAccuracyReport>? Reported { get; set; }

    /// <summary>Called every <see cref="RecipeSettings.CheckpointEvery"/> iterations with a checkpoint to save.</summary>
    public Action<TrainingCheckpoint>? CheckpointDue { get; set; }

    /// <summary>
    /// Continues a run from <paramref name="checkpoint"/>. <paramref name="overrides"/> may change what does not alter
    /// the past: the total iterations, the report and checkpoint intervals and the thread count.
    /// </summary>
    public static RecipeTrainer Resume(TrainingCheckpoint checkpoint, LabeledImages train, Func<RecipeSettings, RecipeSettings>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(train);
        if (checkpoint.TrainingExamples != train.Count)
        {
            throw new ArgumentException($"The checkpoint was trained on {checkpoint.TrainingExamples} examples; this training set has {train.Count}, so its batches would differ.", nameof(train));
        }

        var settings = overrides?.Invoke(checkpoint.Settings) ?? checkpoint.Settings;
        // A new total stretches a learning-rate schedule; that is the caller's choice, so Iterations may change.
        var fixedPart = settings with { Iterations = 0, ReportEvery = 1, CheckpointEvery = 0, Threads = 0 };
        if (fixedPart != checkpoint.Settings with { Iterations = 0, ReportEvery = 1, CheckpointEvery = 0, Threads = 0 })
        {
            throw new ArgumentException("A resumed run keeps the checkpoint's model and hyper-parameters; only the iterations, the intervals and the threads may change.", nameof(overrides));
        }

        return new RecipeTrainer(settings, train, checkpoint);
    }

    /// <summary>
    /// Trains until <see cref="RecipeSettings.Iterations"/> are done, <paramref name="cancellation"/> is requested, or a
    /// loss, gradient or weight is not finite (then nothing non-finite has been applied unless <see cref="NonFinite"/>
    /// says the state is not good; a batch whose gradient was not finite is used up: continuing goes on with the next).
    /// </summary>
    public TrainingOutcome Run(CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        long startIteration = Iteration;
        int batch = Settings.BatchSize;
        int classes = Settings.Model.Classes;
        while (Iteration < Settings.Iterations)
        {
            if (cancellation.IsCancellationRequested)
            {
                return TrainingOutcome.Cancelled;
            }

            _batches.Next(_indices);
            _train.CopyBatch(_indices, _inputs, _labels);
            if (Iteration % Settings.ReportEvery == 0 && Reported is { } report)
            {
                // As the recipe: accuracy on this batch with keep_prob 1, before training on it.
                report(new BatchAccuracyReport(EpochsCompleted, Iteration, (double)CountCorrect(batch, classes) / batch));
            }

            _trainer.Optimizer.LearningRate = Settings.LearningRateAt(Iteration);
            float loss = _trainer.TrainBatch(_inputs, _labels);
            float norm = _trainer.LastGradientNorm;
            if (!float.IsFinite(norm))
            {
                // The trainer did not apply it: model and optimiser are as after the previous iteration.
                NonFinite = new NonFiniteStep(Iteration + 1, loss, norm, StateIsGood: true);
                return TrainingOutcome.NonFinite;
            }

            Iteration++;
            // MaxMagnitude is NaN or infinite exactly when a weight is: a finite gradient can still overflow them.
            bool weightsFinite = float.IsFinite(TensorPrimitives.MaxMagnitude(Model.Parameters));
            if (!float.IsFinite(loss) || !weightsFinite)
            {
                NonFinite = new NonFiniteStep(Iteration, loss, norm, StateIsGood: weightsFinite);
                return TrainingOutcome.NonFinite;
            }
            if (StepCompleted is { } step)
            {
                var elapsed = clock.Elapsed;
                long done = Iteration - startIteration;
                double perSecond = done * batch / Math.Max(elapsed.TotalSeconds, 1e-9);
                var remaining = TimeSpan.FromSeconds((Settings.Iterations - Iteration) * elapsed.TotalSeconds / done);
                step(new TrainingStep(Iteration, Settings.Iterations, EpochsCompleted, loss, perSecond, elapsed, remaining));
            }

            if (Settings.CheckpointEvery > 0 && Iteration % Settings.CheckpointEvery == 0)
            {
                CheckpointDue?.Invoke(CreateCheckpoint());
            }
        }

        return TrainingOutcome.Completed;
    }

    /// <summary>
    /// The examples of the current batch the model classifies right, <see cref="PredictionRows"/> at a time. A short last
    /// group keeps the rows of the one before after its own, so the predictor always runs one shape.
    /// </summary>
    private int CountCorrect(int batch, int classes)
    {
        int length = _train.Images.ImageLength;
        int correct = 0;
        for (int start = 0; start < batch; start += _reportRows)
        {
            int rows = Math.Min(_reportRows, batch - start);
            _inputs.AsSpan(start * length, rows * length).CopyTo(_reportInputs);
            _predictor.Predict(_reportInputs, _reportRows, _probabilities);
            correct += (int)CorrectCount.Of(_probabilities, _labels.AsSpan(start, rows), rows, 1, classes, everyStep: false).Correct;
        }

        return correct;
    }

    /// <summary>A copy of everything needed to continue from here exactly.</summary>
    public TrainingCheckpoint CreateCheckpoint() => new()
    {
        Model = Model.Clone(),
        FirstMoment = _trainer.Optimizer.FirstMoment.ToArray(),
        SecondMoment = _trainer.Optimizer.SecondMoment.ToArray(),
        AdamStep = _trainer.Optimizer.Step,
        Settings = Settings,
        Cursor = new TrainingCursor(Iteration, _batches.EpochsCompleted, _batches.Position, _batches.EpochShuffleState),
        DropoutState = _trainer.DropoutRandom.GetState(),
        TrainingExamples = _train.Count,
    };

    /// <summary>
    /// Accuracy and confusion matrix of the current model on <paramref name="set"/>, <see cref="PredictionRows"/> images
    /// at a time: the activations the report lines already hold, so evaluating adds none.
    /// </summary>
    public EvaluationResult Evaluate(LabeledImages set, Action<int>? progress = null)
        => Evaluator.Evaluate(_predictor, set, PredictionRows, progress);

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        _trainer.Dispose();
        _predictor.Dispose();
    }

}
