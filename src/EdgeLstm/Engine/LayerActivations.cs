namespace EdgeLstm.Engine;

/// <summary>
/// Where one recurrent layer reads and writes over a time-major sequence: row t·B + b is sample b at step t, so each
/// step's rows are contiguous and the products over all steps are single large matrix products. The
/// <see cref="ActivationPlan"/> hands these out; the layers' forward and backward passes only follow the pointers.
/// </summary>
internal unsafe struct LayerActivations
{
    public int Steps, Batch, InputSize, Hidden;

    /// <summary>[T·B×I] layer input.</summary>
    public float* Input;

    /// <summary>[T·B×G·H] gate activations (kept for the backward pass when <see cref="KeepAllSteps"/>).</summary>
    public float* Gates;

    /// <summary>LSTM cell states: [T·B×H] when <see cref="KeepAllSteps"/>, else two [B×H] slots used in turn.</summary>
    public float* C;

    /// <summary>tanh(c): [T·B×H] when <see cref="KeepAllSteps"/>, else one [B×H] scratch.</summary>
    public float* TanhC;

    /// <summary>GRU: h_prev·W_hnᵀ + b_hn, [T·B×H] when <see cref="KeepAllSteps"/>, else one [B×H] scratch (the memory an LSTM uses for tanh(c)).</summary>
    public float* HiddenN;

    /// <summary>GRU: [B×3H] scratch for one step's h_prev·W_hhᵀ, kept apart from the input projection because of the reset gate.</summary>
    public float* Recurrent;

    /// <summary>[T·B×H] outputs h_t.</summary>
    public float* H;

    /// <summary>[B×H] initial state, or null for zeros.</summary>
    public float* H0, C0;

    /// <summary>True in training: every step's activations stay for the backward pass.</summary>
    public bool KeepAllSteps;

    /// <summary>Each sample's length (1..T) when some sample is shorter than the batch, else null (all full length).</summary>
    public int[]? Lengths;

    /// <summary>Floats in one step's [B×H] block.</summary>
    public readonly long StepFloats => (long)Batch * Hidden;

    /// <summary>The output after step <paramref name="t"/>.</summary>
    public readonly float* OutputAt(int t) => H + (t * StepFloats);

    /// <summary>The cell state after step <paramref name="t"/>.</summary>
    public readonly float* CellAt(int t) => C + ((KeepAllSteps ? t : t & 1) * StepFloats);

    /// <summary>The tanh(c) scratch of step <paramref name="t"/>.</summary>
    public readonly float* TanhCellAt(int t) => TanhC + (KeepAllSteps ? t * StepFloats : 0);

    /// <summary>
    /// After step <paramref name="t"/>: every sample whose sequence has ended keeps its state from step t−1, so its state
    /// stops changing after its length (pack_padded_sequence) and what is read at step T−1 is its own last step. A padded
    /// step's gradient is then exactly zero backward, as nothing reaches it from above or from later steps.
    /// </summary>
    public readonly void HoldEndedSamples(int t) => HoldEndedSamples(t, 0, Hidden);

    /// <summary><see cref="HoldEndedSamples(int)"/> for units [<paramref name="unitStart"/>, <paramref name="unitEnd"/>) only: a part of a step split by units.</summary>
    public readonly void HoldEndedSamples(int t, int unitStart, int unitEnd)
    {
        if (Lengths is null || t == 0)
        {
            return;
        }

        long bytes = (unitEnd - unitStart) * sizeof(float);
        for (int b = 0; b < Batch; b++)
        {
            if (Lengths[b] <= t)
            {
                long row = ((long)b * Hidden) + unitStart;
                Buffer.MemoryCopy(OutputAt(t - 1) + row, OutputAt(t) + row, bytes, bytes);
                if (C != null)
                {
                    Buffer.MemoryCopy(CellAt(t - 1) + row, CellAt(t) + row, bytes, bytes);
                }
            }
        }
    }

    /// <summary>The GRU's h_prev·W_hnᵀ + b_hn of step <paramref name="t"/>.</summary>
    public readonly float* HiddenNAt(int t) => HiddenN + (KeepAllSteps ? t * StepFloats : 0);
}
