namespace EdgeLstm.Model;

/// <summary>The recurrent cell of a layer.</summary>
public enum CellKind
{
    /// <summary>PyTorch's <c>nn.LSTM</c>: gates i, f, g, o; a cell state c and an output h.</summary>
    Lstm = 0,

    /// <summary>PyTorch's <c>nn.GRU</c>: gates r, z, n; the state is h alone.</summary>
    Gru = 1,
}
