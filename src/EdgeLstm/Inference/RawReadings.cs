using EdgeLstm.Model;

namespace EdgeLstm.Inference;

/// <summary>
/// The predictor's and the stream's side of a model's <see cref="Preprocessing"/>: a copy of the caller's raw readings
/// turned into the network's inputs (the caller's span is never written), each sample's raw last step kept for the
/// outputs, and the outputs turned back into the data's units. Buffers grow with the largest shape seen, so after the
/// first call of a shape nothing is allocated.
/// </summary>
internal sealed class RawReadings
{
    private float[] _inputs = [];
    private float[] _lastSteps = [];

    /// <summary>The network's inputs for raw <paramref name="inputs"/> [B×T×F] whose sample b is <paramref name="lengths"/>[b] steps long.</summary>
    public ReadOnlySpan<float> Prepare(Preprocessing preprocessing, ReadOnlySpan<float> inputs, int batchSize, int steps, ReadOnlySpan<int> lengths)
    {
        int features = inputs.Length / (batchSize * steps);
        Grow(ref _inputs, inputs.Length);
        Grow(ref _lastSteps, batchSize * features);
        Span<float> prepared = _inputs.AsSpan(0, inputs.Length);
        inputs.CopyTo(prepared);
        preprocessing.PrepareInputs(prepared, batchSize, steps, lengths, _lastSteps.AsSpan(0, batchSize * features));
        return prepared;
    }

    /// <summary>A regression head's outputs [B×K] (or [B×T×K]) of the last <see cref="Prepare"/> in the data's units; class outputs are left alone.</summary>
    public void Restore(Preprocessing preprocessing, LstmConfig config, Span<float> outputs, int batchSize)
    {
        if (config.HeadRegresses)
        {
            preprocessing.RestoreOutputs(outputs, batchSize, _lastSteps.AsSpan(0, batchSize * config.InputSize));
        }
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
