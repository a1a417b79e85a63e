namespace EdgeLstm.Data.Sequences;

/// <summary>
/// How a forecasting model sees a series — what a model file records so a board can feed it raw readings: the last
/// <see cref="Window"/> steps in, the next <see cref="Horizon"/> values of each target feature out, and whether both are
/// taken relative to the window's last observed value.
/// </summary>
/// <remarks>
/// Relative is the default because a trending series leaves the range the network was trained on: on Mauna Loa CO2
/// (weekly, rising) an LSTM on globally standardised values does worse than repeating the last value over the final 20 %
/// (a PyTorch replica: MAE 0.637 ppm against 0.405 for the naive forecast), while the same network on windows taken
/// relative to their last value beats it (0.330). Relative to the last value, the network learns the change, which
/// looks the same in 1960 and in 2000.
/// </remarks>
/// <param name="Window">Steps in (W ≥ 1).</param>
/// <param name="Horizon">Future steps out per target (H ≥ 1).</param>
/// <param name="TargetFeatures">The features forecast, as indices into the window's features, in output order.</param>
/// <param name="RelativeToLast">Whether inputs and targets are differences from the window's last step.</param>
public sealed record ForecastSpec(int Window, int Horizon, IReadOnlyList<int> TargetFeatures, bool RelativeToLast = true)
{
    /// <summary>Outputs per window: H values of each target, horizon-major (step 1 of every target, then step 2, ...).</summary>
    public int OutputWidth => Horizon * TargetFeatures.Count;

    /// <summary>Throws unless the window, horizon and targets make sense for <paramref name="featureCount"/> features.</summary>
    public void Validate(int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfLessThan(Horizon, 1, nameof(Horizon));
        ArgumentOutOfRangeException.ThrowIfZero(TargetFeatures.Count, nameof(TargetFeatures));
        foreach (int target in TargetFeatures)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(TargetFeatures));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, featureCount, nameof(TargetFeatures));
        }
    }

    /// <summary>Turns a raw window (W × F, step-major) into the network's input: each step minus the last (when relative).</summary>
    public void PrepareInputs(Span<float> window, int featureCount)
    {
        if (!RelativeToLast)
        {
            return;
        }

        int steps = window.Length / featureCount;
        ReadOnlySpan<float> last = window.Slice((steps - 1) * featureCount, featureCount);
        for (int t = 0; t < steps - 1; t++)
        {
            Span<float> step = window.Slice(t * featureCount, featureCount);
            for (int f = 0; f < featureCount; f++)
            {
                step[f] -= last[f];
            }
        }

        window.Slice((steps - 1) * featureCount, featureCount).Clear();
    }

    /// <summary>Turns raw future values (H × targets) into training targets: minus the target's last observed value (when relative).</summary>
    public void PrepareTargets(ReadOnlySpan<float> lastStep, Span<float> targets) => Shift(lastStep, targets, -1f);

    /// <summary>Turns the network's outputs (H × targets) back into forecasts: plus the target's last observed value (when relative).</summary>
    public void RestoreForecasts(ReadOnlySpan<float> lastStep, Span<float> outputs) => Shift(lastStep, outputs, 1f);

    private void Shift(ReadOnlySpan<float> lastStep, Span<float> values, float sign)
    {
        if (!RelativeToLast)
        {
            return;
        }

        int k = TargetFeatures.Count;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += sign * lastStep[TargetFeatures[i % k]];
        }
    }
}
