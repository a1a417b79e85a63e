using System.CommandLine;
using System.Globalization;
using EdgeLstm.Cli.Output;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.IO;

namespace EdgeLstm.Cli.Commands;

/// <summary><c>edgelstm predict MODEL --index N | --pgm FILE</c>: the class of one image and all class probabilities.</summary>
internal static class PredictCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var index = new Option<int?>("--index") { Description = "Classify test image N (0-based) of the data set.", HelpName = "N" };
        index.Validators.Add(r =>
        {
            if (CommonOptions.TryGetValue(r, out int? value) && value is < 0)
            {
                r.AddError("--index must be 0 or more.");
            }
        });
        var pgm = new Option<string?>("--pgm") { Description = "Classify a greyscale PGM image (P5 binary or P2 ASCII) of the model's size, 28×28 for MNIST; white digit on black.", HelpName = "FILE" };
        var invert = new Option<bool>("--invert") { Description = "Invert the PGM first (for a dark digit on a light background)." };
        var data = CommonOptions.Data();
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Classify one image with MODEL: a test image (--index) or a PGM file (--pgm). Prints the class and the ten probabilities.")
        {
            model, index, pgm, invert, data, threads,
        };
        // Your own sequences (--data FILE.csv|.npy|.npz): Sequences/SequenceCommands.cs.
        var sequence = Sequences.SequenceOptions.ForModel(context, evaluating: false);
        sequence.AddTo(command);
        var output = CommonOptions.Path("--out", "With --data FILE: write the predictions as CSV here (default: the standard output).", "FILE");
        command.Options.Add(output);
        command.Description += " With --data FILE.csv|.npy|.npz: one CSV row per sequence (or per step) with the id, the prediction and the class probabilities; for a forecaster, the values after the file's last step (from its last window: the file needs at least that many steps).";
        DataKindOptions.Add(command, data, context, [.. sequence.All, output], [index, pgm, invert], "with --data FILE every sequence of the file is predicted.");
        command.Validators.Add(r =>
        {
            if (!DataKindOptions.IsSequenceFile(r, data, context) && (r.GetResult(index) is not null) == (r.GetResult(pgm) is not null))
            {
                r.AddError("give exactly one of --index N (a test image) and --pgm FILE.");
            }
        });
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(data) is { } dataFile && Sequences.SequenceFile.Is(context.Resolve(dataFile)))
            {
                return Sequences.SequenceCommands.Predict(parsed, context, context.Resolve(parsed.GetValue(model)!), context.Resolve(parsed.GetValue(data)!), sequence, parsed.GetValue(output), parsed.GetValue(threads));
            }

            string path = context.Resolve(parsed.GetValue(model)!);
            var loaded = ModelFile.Load(path);
            var config = loaded.Model.Config;
            float[] pixels;
            string description;
            int? label = null;
            if (parsed.GetValue(pgm) is { } pgmPath)
            {
                string file = context.Resolve(pgmPath);
                var image = PgmReader.Read(file);
                if (image.Columns != config.InputSize || image.Rows != config.Steps)
                {
                    throw new CliException($"{file}: the model reads {config.Steps}×{config.InputSize} images; this one is {image.Rows}×{image.Columns}.");
                }

                pixels = image.ToFloats(0, 1);
                if (parsed.GetValue(invert))
                {
                    for (int i = 0; i < pixels.Length; i++)
                    {
                        pixels[i] = 1f - pixels[i];
                    }
                }

                description = $"{file} ({image.Columns}×{image.Rows}{(parsed.GetValue(invert) ? ", inverted" : string.Empty)})";
            }
            else
            {
                var location = DataLocator.Find(parsed.GetValue(data), context);
                var test = location.Load(DatasetSplit.Test);
                ModelCompatibility.Check(config, test, path);
                int n = parsed.GetValue(index)!.Value;
                if (n >= test.Count)
                {
                    throw new CliException(test.Count == 0
                        ? $"--index {n}: the test set in {location.Directory} is empty."
                        : $"--index {n}: the test set has images 0 to {test.Count - 1}.");
                }

                pixels = test.Images.Image(n).ToArray();
                label = test.Labels[n];
                description = $"test image {n} of {location.Describe()}, label {label}";
            }

            var probabilities = new float[config.Classes];
            using (var predictor = new LstmPredictor(loaded.Model, parsed.GetValue(threads)))
            {
                predictor.Predict(pixels, 1, probabilities);
            }

            NonFiniteOutput.Check(probabilities, path, loaded.Model, "the class probabilities");

            int best = Evaluator.ArgMax(probabilities);
            var o = context.Out;
            o.WriteLine($"model: {path}");
            o.WriteLine($"image: {description}");
            string verdict = label is null ? string.Empty : label == best ? "  (right)" : $"  (wrong: the label is {label})";
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"class: {best}  probability {probabilities[best]:0.0000}{verdict}"));
            o.WriteLine();
            o.WriteLine("class  probability");
            for (int c = 0; c < probabilities.Length; c++)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c,5}  {probabilities[c],11:0.0000}  {TerminalGraphics.Bar(probabilities[c], 40)}{(c == best ? " ◀" : string.Empty)}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
