using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    /// <summary>
    /// What a training or evaluation call takes, set by the entry point itself (never guessed from which pointer C
    /// passed): one label per sequence with no length (the ABI's first calls, <c>edgelstm_trainer_train_batch</c> and
    /// <c>_evaluate</c>, for a last-step classifier only), labels with their length, or float targets.
    /// </summary>
    private enum BatchTargets
    {
        OneLabelPerSequence,
        Labels,
        Targets,
    }

    /// <summary>The arrays of one batch, checked against the model: the inputs, lengths, and labels or targets.</summary>
    private readonly ref struct BatchSpans
    {
        public ReadOnlySpan<float> Inputs { get; init; }

        public ReadOnlySpan<int> Lengths { get; init; }

        public ReadOnlySpan<int> Labels { get; init; }

        public ReadOnlySpan<float> Targets { get; init; }
    }

    /// <summary>What C passed for one training or evaluation batch; labels for a classifier, targets for a regression.</summary>
    private readonly struct Batch(BatchTargets kind, float* x, nuint xLength, int size, int steps, int* lengths, nuint lengthsLength, int* labels, nuint labelsLength, float* targets, nuint targetsLength)
    {
        public int Size => size;

        public int Steps => steps;

        /// <summary>
        /// Checks every array against the model's shapes (NULL pointers, lengths, a head that does not take what was
        /// passed, non-finite targets, lengths out of 1..steps) before anything is computed; the range of the labels
        /// the head reads is checked by the trainer, also before it changes anything.
        /// </summary>
        public BatchSpans Check(LstmConfig config, string function)
        {
            Args.Positive(size, "batch");
            Args.Positive(steps, "steps");
            var inputs = Args.Exact(x, xLength, Args.Count(size, steps, config.InputSize), "x", InputShape, size, steps, config.InputSize);
            bool wantsTargets = kind == BatchTargets.Targets;
            if (kind == BatchTargets.OneLabelPerSequence && config.Head != HeadKind.ClassifyLastStep)
            {
                throw new NativeException(Status.InvalidArgument, $"this call takes one label per sequence, for a model whose head is ClassifyLastStep; this model's head is {config.Head}: use {Replacement(config, function)}");
            }

            if (wantsTargets != config.HeadRegresses)
            {
                throw new NativeException(Status.InvalidArgument, $"this call takes {(wantsTargets ? "float targets" : "class labels")}, but this model's head is {config.Head}: use {Replacement(config, function)}");
            }

            var sequenceLengths = Args.Lengths(lengths, lengthsLength, size, steps);
            if (config.HeadRegresses)
            {
                var values = config.HeadReadsEveryStep
                    ? Args.Exact(targets, targetsLength, Args.Count(size, steps, config.Classes), "targets", "batch {0} × steps {1} × outputs {2}", size, steps, config.Classes)
                    : Args.Exact(targets, targetsLength, Args.Count(size, config.Classes), "targets", "batch {0} × outputs {1}", size, config.Classes);
                RegressionTargets.CheckFinite(values, size, steps, config.Classes, config.HeadReadsEveryStep, sequenceLengths);
                return new BatchSpans { Inputs = inputs, Lengths = sequenceLengths, Targets = values };
            }

            Args.NotNull(labels, "labels");
            int rows = config.HeadReadsEveryStep ? Args.Count(size, steps) : size;
            string rowShape = config.HeadReadsEveryStep ? "batch {0} × steps {1}" : "batch {0}";
            var classes = kind == BatchTargets.OneLabelPerSequence
                ? new ReadOnlySpan<int>(labels, size)
                : Args.Exact(labels, labelsLength, rows, "labels", rowShape, size, steps);
            return new BatchSpans { Inputs = inputs, Lengths = sequenceLengths, Labels = classes };
        }

        /// <summary>The call that fits the model's head, for the message.</summary>
        private static string Replacement(LstmConfig config, string function)
        {
            string verb = function.Contains("evaluate", StringComparison.Ordinal) ? "evaluate" : "train";
            return $"edgelstm_trainer_{verb}_{(config.HeadRegresses ? "targets" : "labels")}";
        }
    }
}
