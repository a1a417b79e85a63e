using System.CommandLine;
using System.Globalization;
using EdgeLstm.Cli.Output;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.IO;

namespace EdgeLstm.Cli.Commands;

/// <summary>
/// <c>edgelstm inspect MODEL</c>: the reference recipe's parts 2 and 3, which ask whether an LSTM's output and its
/// state are the same thing, and answer with measured numbers; then, for one image, what the dense layer would say after
/// each step, as a table with bars and optionally as an SVG figure.
/// </summary>
internal static class InspectCommand
{
    private const int Part2Batch = 5;

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var index = CommonOptions.Int("--index", "The training image for part 3 (0-based).", 4, 0, int.MaxValue);
        var svg = CommonOptions.Path("--svg", "Also write part 3 as an SVG figure: the digit and one bar chart of the ten class probabilities per step.", "FILE");
        var data = CommonOptions.Data();
        var threads = CommonOptions.Threads();
        var command = new Command("inspect", "Look inside MODEL (the recipe's parts 2 and 3): the shapes of the per-step outputs and of the state, whether they are the same, and the class probabilities after every step for one image.")
        {
            model, index, svg, data, threads,
        };
        // A regression model on your own sequences (--data FILE.csv|.npy|.npz): Sequences/SequenceCommands.cs.
        var sequence = Sequences.SequenceOptions.ForModel(context, evaluating: true);
        sequence.AddTo(command);
        command.Description += " With --data FILE and a regression model: the errors beside the naive forecasts, and with --svg the prediction against the actual value over the held-out span.";
        DataKindOptions.Add(command, data, context, sequence.All, [index], "with --data FILE the model is scored on the file's sequences (and --svg draws them).");
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(data) is { } dataFile && Sequences.SequenceFile.Is(context.Resolve(dataFile)))
            {
                return Sequences.SequenceCommands.Inspect(parsed, context, context.Resolve(parsed.GetValue(model)!), context.Resolve(dataFile), sequence, parsed.GetValue(svg), parsed.GetValue(threads));
            }

            string path = context.Resolve(parsed.GetValue(model)!);
            var loaded = ModelFile.Load(path);
            var config = loaded.Model.Config;
            var location = DataLocator.Find(parsed.GetValue(data), context);
            var train = location.Load(DatasetSplit.Train);
            ModelCompatibility.Check(config, train, path);
            int n = parsed.GetValue(index);
            if (n >= train.Count)
            {
                throw new CliException(train.Count == 0
                    ? $"--index {n}: the training set in {location.Directory} is empty."
                    : $"--index {n}: the training set has images 0 to {train.Count - 1}.");
            }

            // The figure is checked before the work, so a wrong --svg is found before, not after, the text.
            string? svgFile = parsed.GetValue(svg) is { } svgPath ? OutputTarget.Check("--svg", context.Resolve(svgPath), 0) : null;

            if (train.Count < Part2Batch)
            {
                throw new CliException($"{location.Directory}: part 2 needs at least {Part2Batch} training images; there are {train.Count}.");
            }

            using var predictor = new LstmPredictor(loaded.Model, parsed.GetValue(threads));
            var o = context.Out;
            o.WriteLine($"model: {path} ({config.Describe()})");
            o.WriteLine($"weights: {Output.WeightTypeText.Describe(loaded.Model)}");
            o.WriteLine($"data:  {location.Describe()}");
            o.WriteLine();
            Part2(o, predictor, train, path);
            o.WriteLine();
            float[] probabilities = Part3(o, predictor, train, n, path);
            if (svgFile is { } file)
            {
                int steps = train.Images.Rows;
                string figure = StepProbabilitySvg.Render(
                    train.Images.Image(n), train.Images.Rows, train.Images.Columns, probabilities, steps, config.Classes,
                    $"What the LSTM thinks after each row: training image {n} (label {train.Labels[n]})",
                    $"softmax(fc(output_t)) for t = 1…{steps}: the dense layer applied to every step's output; the most likely class in orange.");
                AtomicFile.Write(file, stream =>
                {
                    using var writer = new StreamWriter(stream, leaveOpen: true);
                    writer.Write(figure);
                });
                o.WriteLine();
                o.WriteLine($"SVG written to {file}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Part 2: five images, the shapes, and the measured answer to "are the output and the state the same?".</summary>
    private static void Part2(TextWriter o, LstmPredictor predictor, LabeledImages train, string modelPath)
    {
        var config = predictor.Model.Config;
        int steps = train.Images.Rows, batch = Part2Batch, hidden = config.HiddenSize, layers = config.Layers;
        int bh = batch * hidden;
        var inputs = new float[batch * train.Images.ImageLength];
        var labels = new int[batch];
        train.CopyRange(0, inputs, labels);
        var outputs = new float[steps * bh];
        var finalC = new float[layers * bh];
        var finalH = new float[layers * bh];
        predictor.Run(inputs, batch, outputs, finalC, finalH);
        NonFiniteOutput.Check(outputs, modelPath, predictor.Model, "the LSTM's outputs");

        var lastOutput = outputs.AsSpan((steps - 1) * bh, bh);
        int top = layers - 1;
        float vsTopH = MaxAbsDifference(lastOutput, finalH.AsSpan(top * bh, bh));
        float vsTopC = MaxAbsDifference(lastOutput, finalC.AsSpan(top * bh, bh));

        o.WriteLine("Part 2: are the LSTM's output and state the same?");
        o.WriteLine($"  ran training images 0-{batch - 1} (labels {string.Join(", ", labels)}) through the model");
        o.WriteLine($"  outputs: shape ({steps}, {batch}, {hidden})  = (steps, images, hidden): one output per step");
        o.WriteLine($"  state:   {layers} layers × (c, h), each ({batch}, {hidden})");
        o.WriteLine(Invariant($"  last output vs top layer's h:  max |difference| = {vsTopH:G4}"));
        o.WriteLine(Invariant($"  last output vs top layer's c:  max |difference| = {vsTopC:G4}"));

        // A lower layer's state would appear in the outputs only if some step's output equalled it.
        float closestLower = float.PositiveInfinity;
        for (int l = 0; l < top; l++)
        {
            float closestH = float.PositiveInfinity, closestC = float.PositiveInfinity;
            for (int t = 0; t < steps; t++)
            {
                var output = outputs.AsSpan(t * bh, bh);
                closestH = Math.Min(closestH, MaxAbsDifference(output, finalH.AsSpan(l * bh, bh)));
                closestC = Math.Min(closestC, MaxAbsDifference(output, finalC.AsSpan(l * bh, bh)));
            }

            closestLower = Math.Min(closestLower, Math.Min(closestH, closestC));
            o.WriteLine(Invariant($"  layer {l}'s (c, h) vs every step's output: smallest max |difference| = {closestC:G4} (c), {closestH:G4} (h)"));
        }

        o.WriteLine();
        string topH = vsTopH == 0 ? "equals the top layer's h exactly (max |difference| = 0)" : Invariant($"differs from the top layer's h by {vsTopH:G4} (unexpected)");
        o.WriteLine("  Answer: no, they are not the same thing. The output at each step is the top layer's h at that step,");
        o.WriteLine($"  so the last output {topH}.");
        o.WriteLine(Invariant($"  The state holds more: the top layer's c differs from the output (max |difference| = {vsTopC:G4}),"));
        o.WriteLine(top > 0
            ? Invariant($"  and the lower layer's (c, h) appears in no output (the closest step still differs by {closestLower:G4}).")
            : "  and with a single layer there is no lower layer to hide state in.");
    }

    /// <summary>Part 3: the image as text and the class probabilities after every step.</summary>
    private static float[] Part3(TextWriter o, LstmPredictor predictor, LabeledImages train, int index, string modelPath)
    {
        var config = predictor.Model.Config;
        int steps = train.Images.Rows, hidden = config.HiddenSize, classes = config.Classes;
        var image = train.Images.Image(index);
        var outputs = new float[steps * hidden];
        predictor.Run(image, 1, outputs, default, default);
        var probabilities = new float[steps * classes];
        predictor.Classify(outputs, steps, probabilities);
        NonFiniteOutput.Check(probabilities, modelPath, predictor.Model, "the class probabilities");

        o.WriteLine($"Part 3: training image {index} (label {train.Labels[index]}), read one row per step");
        o.Write(TerminalGraphics.Picture(image, train.Images.Rows, train.Images.Columns));
        o.WriteLine();
        o.WriteLine("Class probabilities from the dense layer applied to each step's output:");
        string header = "step │" + string.Concat(Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(5))) + " │ most likely";
        o.WriteLine(header);
        o.WriteLine(new string('─', 5) + "┼" + new string('─', (5 * classes) + 1) + "┼" + new string('─', 30));
        for (int t = 0; t < steps; t++)
        {
            var p = probabilities.AsSpan(t * classes, classes);
            int best = Evaluator.ArgMax(p);
            string cells = string.Concat(p.ToArray().Select(v => v.ToString("0.00", CultureInfo.InvariantCulture).PadLeft(5)));
            o.WriteLine(Invariant($"{t + 1,4} │{cells} │ {best} {p[best],4:0.00} {TerminalGraphics.Bar(p[best], 20)}"));
        }

        var last = probabilities.AsSpan((steps - 1) * classes, classes);
        int final = Evaluator.ArgMax(last);
        o.WriteLine(Invariant($"After the last step the model says {final} ({last[final]:P1}); the label is {train.Labels[index]}."));
        return probabilities;
    }

    private static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
