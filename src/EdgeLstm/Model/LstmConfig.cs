namespace EdgeLstm.Model;

/// <summary>
/// The architecture of a stacked recurrent classifier: inputs per step, hidden units, layers, classes, steps, and the
/// cell of its layers (<see cref="Cell"/>: LSTM unless set).
/// </summary>
/// <param name="InputSize">Features per time step (28 pixels for a row of an MNIST image).</param>
/// <param name="HiddenSize">Units in each LSTM layer.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Classes">Outputs of the final dense layer.</param>
/// <param name="Steps">The sequence length the model reads (28 rows); the engine accepts any length, this is the default.</param>
public sealed record LstmConfig(int InputSize, int HiddenSize, int Layers, int Classes, int Steps)
{
    /// <summary>The reference recipe: 28 steps of 28 pixels, 2 layers of 256, 10 classes.</summary>
    public static LstmConfig Mnist { get; } = new(28, 256, 2, 10, 28);

    /// <summary>The cell of every layer: PyTorch's <c>nn.LSTM</c> (the default) or <c>nn.GRU</c>.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;

    /// <summary>What the dense head predicts (classes of the last step unless set); <see cref="Classes"/> is its output count K.</summary>
    public HeadKind Head { get; init; } = HeadKind.ClassifyLastStep;

    /// <summary>True when the head reads every step, not only the last.</summary>
    public bool HeadReadsEveryStep => Head is HeadKind.ClassifyEveryStep or HeadKind.RegressEveryStep;

    /// <summary>True when the head outputs real values trained by mean squared error, not classes.</summary>
    public bool HeadRegresses => Head is HeadKind.RegressLastStep or HeadKind.RegressEveryStep;

    /// <summary>Gate blocks per layer: 4 for an LSTM, 3 for a GRU.</summary>
    public int Gates => Cell == CellKind.Gru ? 3 : 4;

    /// <summary>The PyTorch module name of the recurrent stack, the prefix of its tensors: <c>lstm</c> or <c>gru</c>.</summary>
    public string RecurrentModule => Cell == CellKind.Gru ? "gru" : "lstm";

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> (an <see cref="ArgumentException"/>) naming the first field out of
    /// range, or the parameter count when the sizes together pass the limit: see <see cref="ModelLimits.CheckConfig"/>;
    /// and <see cref="ArgumentException"/> for a cell or head that does not exist.
    /// </summary>
    public void Validate()
    {
        ModelLimits.CheckConfig(this);
        if (!Enum.IsDefined(Cell))
        {
            throw new ArgumentException($"Cell must be Lstm or Gru; it is {(int)Cell}.");
        }

        if (!Enum.IsDefined(Head))
        {
            throw new ArgumentException($"Head must be one of {string.Join(", ", Enum.GetNames<HeadKind>())}; it is {(int)Head}.");
        }
    }

    /// <summary>
    /// The network in one line, as every report and message prints it: "28 steps × 28 inputs → 2 LSTM layers × 256 → 10
    /// classes" (per step for a per-step head; values for a regression).
    /// </summary>
    public string Describe()
    {
        string outputs = HeadRegresses ? (Classes == 1 ? "1 value" : $"{Classes} values") : $"{Classes} classes";
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{Steps} steps × {InputSize} inputs → {Layers} {RecurrentModule.ToUpperInvariant()} layer{(Layers == 1 ? string.Empty : "s")} × {HiddenSize} → {outputs}{(HeadReadsEveryStep ? " per step" : string.Empty)}");
    }

    /// <summary>Inputs to layer <paramref name="layer"/>: the data for layer 0, the layer below's output otherwise.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : HiddenSize;
}
