namespace EdgeLstm.Model;

/// <summary>The architecture of a stacked-LSTM classifier: inputs per step, hidden units, layers, classes, steps.</summary>
/// <param name="InputSize">Features per time step (28 pixels for a row of an MNIST image).</param>
/// <param name="HiddenSize">Units in each LSTM layer.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Classes">Outputs of the final dense layer.</param>
/// <param name="Steps">The sequence length the model reads (28 rows); the engine accepts any length, this is the default.</param>
public sealed record LstmConfig(int InputSize, int HiddenSize, int Layers, int Classes, int Steps)
{
    /// <summary>The reference recipe: 28 steps of 28 pixels, 2 layers of 256, 10 classes.</summary>
    public static LstmConfig Mnist { get; } = new(28, 256, 2, 10, 28);

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> (an <see cref="ArgumentException"/>) naming the first field out of
    /// range, or the parameter count when the sizes together pass the limit: see <see cref="ModelLimits.CheckConfig"/>.
    /// </summary>
    public void Validate() => ModelLimits.CheckConfig(this);

    /// <summary>Inputs to layer <paramref name="layer"/>: the data for layer 0, the layer below's output otherwise.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : HiddenSize;
}
