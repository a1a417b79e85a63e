using EdgeLstm.Data;
using EdgeLstm.Model;

namespace EdgeLstm.Cli;

/// <summary>Checks that a model can read a data set's images and knows all its labels.</summary>
internal static class ModelCompatibility
{
    public static void Check(LstmConfig config, LabeledImages set, string modelPath)
    {
        if (set.Images.Columns != config.InputSize)
        {
            throw new CliException($"{modelPath}: the model reads {config.InputSize} pixels per step but the images are {set.Images.Rows}×{set.Images.Columns}.");
        }

        int maxLabel = set.Labels.Length == 0 ? 0 : set.Labels.Max();
        if (maxLabel >= config.Classes)
        {
            throw new CliException($"{modelPath}: the model has {config.Classes} classes but the data has label {maxLabel}.");
        }
    }
}
