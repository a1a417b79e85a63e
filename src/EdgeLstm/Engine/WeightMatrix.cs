using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>A weight matrix Wᵀ [Rows×Columns] as the kernels read it: row-major, or in column panels.</summary>
internal readonly unsafe struct WeightMatrix(MatMulForm form, float* data, int rows, int columns, int panelWidth = 0)
{
    /// <summary><see cref="MatMulForm.AB"/> or <see cref="MatMulForm.ABPanels"/>.</summary>
    public MatMulForm Form { get; } = form;

    public float* Data { get; } = data;

    /// <summary>The depth of a product with it: the layer's input width.</summary>
    public int Rows { get; } = rows;

    /// <summary>The product's output width: the gate count times the hidden size, or the head's outputs.</summary>
    public int Columns { get; } = columns;

    /// <summary>Columns per panel (<see cref="WeightPanels"/>) of the <see cref="MatMulForm.ABPanels"/> form; 0 when row-major.</summary>
    public int PanelWidth { get; } = form == MatMulForm.ABPanels ? panelWidth : 0;

    /// <summary>
    /// The product's ldb: the row length of B as the kernels step through it, the panel width for panels (see
    /// <see cref="MatMulJob.ComputeRange"/>), the column count for row-major.
    /// </summary>
    public int Ldb => Form == MatMulForm.ABPanels ? PanelWidth : Columns;

    /// <summary>Where a split of the columns may fall without cutting a panel: 1 for row-major.</summary>
    public int ColumnAlignment => Form == MatMulForm.ABPanels ? PanelWidth : 1;

    /// <summary>The int8 weights an int8 model's products read instead of <see cref="Data"/> (null: fp32).</summary>
    public Int8PanelMatrix? Int8 { get; init; }
}
