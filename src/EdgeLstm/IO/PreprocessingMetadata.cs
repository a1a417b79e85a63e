using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Model;

namespace EdgeLstm.IO;

/// <summary>
/// A model's <see cref="Preprocessing"/> in the file's <c>__metadata__</c>, under keys starting with
/// <c>preprocessing.</c>: lists are JSON arrays inside the metadata string (numbers written to round-trip a float
/// exactly, names as JSON strings, so a comma or a quote in a class name is safe). A model with preprocessing is written
/// as format version 2 or higher: a version-1 reader would ignore the keys and feed raw readings to the network.
/// </summary>
/// <remarks>
/// Reading is strict like the rest of the loader: an unknown <c>preprocessing.</c> key, a value that is not the JSON
/// expected, a non-finite number, a scale that is not positive, a part without its partner (a mean without a scale) or
/// widths that do not fit the architecture is a <see cref="ModelFormatException"/> naming the key.
/// </remarks>
internal static class PreprocessingMetadata
{
    public const string Prefix = "preprocessing.";
    public const string InputMean = Prefix + "input_mean", InputScale = Prefix + "input_scale";
    public const string TargetMean = Prefix + "target_mean", TargetScale = Prefix + "target_scale";
    public const string ClassNames = Prefix + "class_names", FeatureNames = Prefix + "feature_names";
    public const string Window = Prefix + "window", Horizon = Prefix + "horizon", TargetFeatures = Prefix + "target_features", RelativeToLast = Prefix + "relative_to_last";

    private static readonly string[] Keys = [InputMean, InputScale, TargetMean, TargetScale, ClassNames, FeatureNames, Window, Horizon, TargetFeatures, RelativeToLast];

    /// <summary>The lowest format version that may carry preprocessing.</summary>
    public const int MinimumVersion = 2;

    /// <summary>Writes <paramref name="preprocessing"/> (nothing for null).</summary>
    public static void Write(SafeTensorsWriter writer, Preprocessing? preprocessing)
    {
        if (preprocessing is null)
        {
            return;
        }

        if (preprocessing.Inputs is { } inputs)
        {
            writer.SetMetadata(InputMean, ModelFile.NumberList(inputs.Mean));
            writer.SetMetadata(InputScale, ModelFile.NumberList(inputs.Scale));
        }

        if (preprocessing.Targets is { } targets)
        {
            writer.SetMetadata(TargetMean, ModelFile.NumberList(targets.Mean));
            writer.SetMetadata(TargetScale, ModelFile.NumberList(targets.Scale));
        }

        if (preprocessing.ClassNames is { } classes)
        {
            writer.SetMetadata(ClassNames, Names(classes));
        }

        if (preprocessing.FeatureNames is { } features)
        {
            writer.SetMetadata(FeatureNames, Names(features));
        }

        if (preprocessing.Forecast is { } forecast)
        {
            writer.SetMetadata(Window, ModelFile.Text(forecast.Window));
            writer.SetMetadata(Horizon, ModelFile.Text(forecast.Horizon));
            writer.SetMetadata(TargetFeatures, "[" + string.Join(",", forecast.TargetFeatures.Select(t => ModelFile.Text(t))) + "]");
            writer.SetMetadata(RelativeToLast, forecast.RelativeToLast ? "true" : "false");
        }
    }

    /// <summary>The preprocessing in <paramref name="reader"/>'s metadata, checked against <paramref name="config"/>; null when there is none.</summary>
    public static Preprocessing? Read(SafeTensorsReader reader, LstmConfig config, int version)
    {
        var metadata = reader.Metadata;
        string? first = metadata.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        if (version < MinimumVersion)
        {
            throw Fail(reader, first, $"expected no preprocessing in a format_version {version} file (a version-1 reader would ignore it and feed raw readings to the network), found this key");
        }

        foreach (string key in metadata.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            if (!Keys.Contains(key, StringComparer.Ordinal))
            {
                throw Fail(reader, key, $"expected one of {string.Join(", ", Keys)}, found an unknown preprocessing key");
            }
        }

        var inputs = Statistics(reader, InputMean, InputScale, config.InputSize);
        var targets = Statistics(reader, TargetMean, TargetScale, config.Classes);
        var classNames = metadata.ContainsKey(ClassNames) ? Strings(reader, ClassNames, config.Classes) : null;
        var featureNames = metadata.ContainsKey(FeatureNames) ? Strings(reader, FeatureNames, config.InputSize) : null;
        ForecastSpec? forecast = null;
        if (new[] { Window, Horizon, TargetFeatures, RelativeToLast }.FirstOrDefault(metadata.ContainsKey) is { } forecastKey)
        {
            foreach (string key in new[] { Window, Horizon, TargetFeatures, RelativeToLast })
            {
                if (!metadata.ContainsKey(key))
                {
                    throw Fail(reader, key, $"expected it beside {forecastKey} (a forecast needs window, horizon, target_features and relative_to_last), found it missing");
                }
            }

            string relative = metadata[RelativeToLast];
            if (relative is not ("true" or "false"))
            {
                throw Fail(reader, RelativeToLast, $"expected \"true\" or \"false\", found \"{ModelFile.Printable(relative)}\"");
            }

            int window = ModelFile.Int(reader, Window, 1, ModelLimits.MaxSteps);
            int horizon = ModelFile.Int(reader, Horizon, 1, ModelLimits.MaxSteps);
            var targetFeatures = Array.ConvertAll(NumberTexts(reader, TargetFeatures, config.InputSize), text =>
                ModelFile.IsCanonicalWholeNumber(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < config.InputSize
                    ? index
                    : throw Fail(reader, TargetFeatures, $"expected input indices from 0 to {config.InputSize - 1} in plain decimal, found \"{ModelFile.Printable(text)}\""));
            forecast = new ForecastSpec(window, horizon, targetFeatures, relative == "true");
        }

        try
        {
            var preprocessing = new Preprocessing(inputs, targets, classNames, featureNames, forecast);
            preprocessing.Validate(config);
            return preprocessing;
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(reader.Source, SafeTensorsReader.MetadataKey + "." + Prefix.TrimEnd('.'), $"expected preprocessing that fits the model, found: {e.Message}", e);
        }
    }

    private static NormalizationStatistics? Statistics(SafeTensorsReader reader, string meanKey, string scaleKey, int width)
    {
        bool hasMean = reader.Metadata.ContainsKey(meanKey), hasScale = reader.Metadata.ContainsKey(scaleKey);
        if (hasMean != hasScale)
        {
            throw Fail(reader, hasMean ? scaleKey : meanKey, $"expected it beside {(hasMean ? meanKey : scaleKey)}, found it missing");
        }

        if (!hasMean)
        {
            return null;
        }

        float[] mean = Floats(reader, meanKey, width, positive: false);
        float[] scale = Floats(reader, scaleKey, width, positive: true);
        return new NormalizationStatistics(mean, scale);
    }

    /// <summary>
    /// The <paramref name="width"/> finite numbers (positive ones with <paramref name="positive"/>) of the JSON array
    /// under <paramref name="key"/>: the one reader of a metadata list of numbers (<see cref="ModelFile.NumberList"/> writes them).
    /// </summary>
    /// <param name="bareListAccepted">
    /// Also read a bare comma-separated list (no brackets), the form models written before the JSON array used for
    /// <see cref="ModelFile.TrainingTargetMeanKey"/>: those files keep loading.
    /// </param>
    internal static float[] Floats(SafeTensorsReader reader, string key, int width, bool positive, bool bareListAccepted = false)
    {
        string[] texts = NumberTexts(reader, key, width, bareListAccepted);
        if (texts.Length != width)
        {
            throw Fail(reader, key, $"expected {width} numbers (one per {(key.StartsWith(Prefix + "input", StringComparison.Ordinal) ? "input" : "output")}), found {texts.Length}");
        }

        var values = new float[width];
        for (int i = 0; i < width; i++)
        {
            if (!float.TryParse(texts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]) || (positive && !(values[i] > 0)))
            {
                throw Fail(reader, key, $"expected {(positive ? "finite positive" : "finite")} float32 numbers, found \"{ModelFile.Printable(texts[i])}\" at element {i}");
            }
        }

        return values;
    }

    /// <summary>The raw text of each number of a JSON array of at most <paramref name="max"/> numbers.</summary>
    private static string[] NumberTexts(SafeTensorsReader reader, string key, int max, bool bareListAccepted = false)
    {
        var items = new List<string>();
        string text = reader.Metadata[key];
        string? asArray = bareListAccepted && !text.TrimStart().StartsWith('[') ? "[" + text + "]" : null;
        ReadArray(reader, key, max, JsonTokenType.Number, (ref Utf8JsonReader json) => items.Add(Encoding.UTF8.GetString(json.ValueSpan)), asArray);
        return [.. items];
    }

    private static string[] Strings(SafeTensorsReader reader, string key, int count)
    {
        var items = new List<string>();
        ReadArray(reader, key, count, JsonTokenType.String, (ref Utf8JsonReader json) =>
        {
            try
            {
                items.Add(json.GetString()!);
            }
            catch (InvalidOperationException e)
            {
                throw Fail(reader, key, "expected valid Unicode text, found an escape that is not (a lone surrogate?)", e);
            }
        });
        if (items.Count != count)
        {
            throw Fail(reader, key, $"expected {count} names (one per {(key == ClassNames ? "class" : "input")}), found {items.Count}");
        }

        return [.. items];
    }

    private delegate void ItemReader(ref Utf8JsonReader json);

    private static void ReadArray(SafeTensorsReader reader, string key, int max, JsonTokenType itemType, ItemReader read, string? textAsArray = null)
    {
        string text = textAsArray ?? reader.Metadata[key];
        string expected = $"expected a JSON array of at most {max} {(itemType == JsonTokenType.Number ? "numbers" : "strings")}";
        try
        {
            var json = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = 2 });
            if (!json.Read() || json.TokenType != JsonTokenType.StartArray)
            {
                throw Fail(reader, key, $"{expected}, found \"{ModelFile.Printable(text)}\"");
            }

            int count = 0;
            while (json.Read() && json.TokenType != JsonTokenType.EndArray)
            {
                if (json.TokenType != itemType || ++count > max)
                {
                    throw Fail(reader, key, $"{expected}, found {(count > max ? "more" : json.TokenType.ToString())}");
                }

                read(ref json);
            }

            if (json.Read())
            {
                throw Fail(reader, key, $"{expected}, found more after it");
            }
        }
        catch (JsonException e)
        {
            throw Fail(reader, key, $"{expected}, found invalid JSON at byte {e.BytePositionInLine}", e);
        }
    }


    private static string Names(IReadOnlyList<string> names)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            foreach (string name in names)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static ModelFormatException Fail(SafeTensorsReader reader, string key, string problem, Exception? inner = null) =>
        new(reader.Source, $"{SafeTensorsReader.MetadataKey}.{key}", problem, inner);
}
