namespace EdgeLstm.Kernels;

/// <summary>The product forms the layers need.</summary>
internal enum MatMulForm
{
    /// <summary>C = A·B, A [m×k], B [k×n].</summary>
    AB,

    /// <summary>C = Aᵀ·B, A [k×m], B [k×n].</summary>
    AtB,

    /// <summary>C = A·Bᵀ, A [m×k], B [n×k].</summary>
    ABt,

    /// <summary>
    /// C = A·B with B [k×n] stored as panels of ldb columns (<see cref="WeightPanels.Narrow"/> or
    /// <see cref="WeightPanels.Wide"/>), each k rows contiguous (see <see cref="WeightPanels"/>): the same products as
    /// <see cref="AB"/>, bit for bit, with B streamed sequentially.
    /// </summary>
    ABPanels,
}
