using EdgeLstm.Model;

namespace EdgeLstm.IO;

/// <summary>A model read from a file, with the file's metadata (architecture and training facts, all strings).</summary>
/// <param name="Model">The weights.</param>
/// <param name="Metadata">The <c>__metadata__</c> entries.</param>
public sealed record LoadedModel(LstmModel Model, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>"model" or "checkpoint" for EdgeLstm files; empty for a file from elsewhere (e.g. PyTorch).</summary>
    public string Kind => Metadata.GetValueOrDefault(ModelFile.KindKey, string.Empty);

    /// <summary>The training targets' mean per output (<see cref="ModelFile.TrainingTargetMeanKey"/>), checked on reading; null when the file has none.</summary>
    public IReadOnlyList<float>? TrainingTargetMean { get; init; }
}
