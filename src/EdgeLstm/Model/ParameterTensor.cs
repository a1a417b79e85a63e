namespace EdgeLstm.Model;

/// <summary>One named tensor inside a model's flat parameter buffer, with PyTorch's <c>state_dict</c> name and shape.</summary>
/// <param name="Name">For example <c>lstm.weight_ih_l0</c> or <c>fc.bias</c>.</param>
/// <param name="Shape">Row-major dimensions, e.g. [4H, I].</param>
/// <param name="Offset">Index of the first element in the flat buffer.</param>
public sealed record ParameterTensor(string Name, int[] Shape, int Offset)
{
    /// <summary>Elements in the tensor; <see cref="OverflowException"/> when they are more than an array holds.</summary>
    public int Length
    {
        get
        {
            int n = 1;
            foreach (int d in Shape)
            {
                // Checked: LstmConfig allows 4·16384 × 65536 for weight_ih, which would wrap round to 0 and leave the
                // kernels writing far past a buffer sized from the wrapped count.
                n = checked(n * d);
            }

            return n;
        }
    }

    /// <summary>The shape as text, e.g. <c>[1024, 28]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
