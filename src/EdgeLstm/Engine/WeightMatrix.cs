using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>A weight matrix Wᵀ [Rows×Columns] as the kernels read it: fp32 row-major or in column panels, or int8.</summary>
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
    public int PanelWidth { get; } = form != MatMulForm.ABPanels ? 0
        : panelWidth > 0 ? panelWidth : throw new ArgumentOutOfRangeException(nameof(panelWidth), "A panelled matrix needs its panel width.");

    /// <summary>
    /// The product's ldb: the row length of B as the kernels step through it, the panel width for panels (see
    /// <see cref="MatMulJob.ComputeRange"/>), the column count for row-major.
    /// </summary>
    public int Ldb => Form == MatMulForm.ABPanels ? PanelWidth : Columns;

    /// <summary>The int8 weights an int8 model's products read instead of <see cref="Data"/> (null: fp32).</summary>
    public Int8PanelMatrix? Int8 { get; init; }

    /// <summary>
    /// A product may cut its columns only at multiples of this: whole panels, unless Wᵀ is fp32 row-major (any column).
    /// </summary>
    public int ColumnBlock => Int8 is not null ? Int8PanelMatrix.Width : Form == MatMulForm.ABPanels ? PanelWidth : 1;

    /// <summary>The product C (+)= A·(this) over <paramref name="m"/> rows of A; the weight's type goes with it (see <see cref="MatMulJob.Int8"/>).</summary>
    public MatMulJob Product(float* a, int lda, float* c, int ldc, int m, bool accumulate, bool descending = false) => new()
    {
        Form = Form,
        A = a,
        Lda = lda,
        B = Data,
        Ldb = Ldb,
        Int8 = Int8,
        C = c,
        Ldc = ldc,
        M = m,
        N = Columns,
        K = Rows,
        Accumulate = accumulate,
        Descending = descending,
    };

    /// <summary>The work of a product with it over <paramref name="m"/> rows, as <see cref="MatMulJob.Work"/> counts it.</summary>
    public long Work(int m) => Product(null, Rows, null, Columns, m, accumulate: false).Work;
}
