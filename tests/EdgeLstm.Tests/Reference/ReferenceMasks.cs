namespace EdgeLstm.Tests.Reference;

/// <summary>Dropout masks for the reference, taken from the engine's.</summary>
internal sealed partial class ReferenceLstm
{
    /// <summary>
    /// Sets <see cref="Masks"/> from the engine's masks [T×B×H] per layer. Where the masks apply is the same in both, but
    /// for one place: with a last-step head the engine draws the top layer's mask at step T−1 only, where it holds each
    /// sample's state after the sample's own length and the head reads it; the reference reads the top layer at step
    /// length−1 (it computes nothing past a length), so that row of the mask moves to step length−1.
    /// </summary>
    public void UseEngineMasks(IReadOnlyList<float[]> engineMasks, int batch, int steps)
    {
        int hd = _c.HiddenSize, top = _c.Layers - 1;
        Masks = [.. engineMasks.Select(m => m.Select(v => (double)v).ToArray())];
        if (_c.HeadReadsEveryStep)
        {
            return;
        }

        var moved = new double[Masks[top].Length];
        for (int b = 0; b < batch; b++)
        {
            int from = ((((steps - 1) * batch) + b) * hd), to = ((((LengthOf(b, steps) - 1) * batch) + b) * hd);
            Array.Copy(Masks[top], from, moved, to, hd);
        }

        Masks[top] = moved;
    }
}
