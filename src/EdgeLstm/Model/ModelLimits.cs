namespace EdgeLstm.Model;

/// <summary>
/// The largest sizes the library accepts, in one place. They are far above any model an edge board trains, and low
/// enough that every size product the engine forms (parameters, batch × steps × 4·hidden, batch × classes) fits an int
/// with room to spare, so no buffer size can overflow.
/// </summary>
public static class ModelLimits
{
    /// <summary>Inputs per step: 256 × 256 pixels per row is beyond any sensor row or image width we read.</summary>
    public const int MaxInputSize = 65536;

    /// <summary>Hidden units per layer: 4·H·H weights per layer stay under 2^28 floats at H = 8192.</summary>
    public const int MaxHiddenSize = 8192;

    /// <summary>Stacked layers: deeper stacks do not train without residual connections, which this model has not.</summary>
    public const int MaxLayers = 64;

    /// <summary>Output classes: keeps the per-class tables (confusion matrix, probabilities) proportional to the work.</summary>
    public const int MaxClasses = 4096;

    /// <summary>Sequence length.</summary>
    public const int MaxSteps = 65536;

    /// <summary>Examples per batch.</summary>
    public const int MaxBatchSize = 65536;

    /// <summary>Parameters (floats) of one model: 1 GiB of weights; a checkpoint holds three times that.</summary>
    public const long MaxParameters = 1L << 28;
}
